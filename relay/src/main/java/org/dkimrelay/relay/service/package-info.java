/**
 * The running relay: builds the pipeline and the front-ends from the settings, reload, the DNS
 * recheck, rotation and metrics. May import every package but {@code cli}.
 */
package org.dkimrelay.relay.service;

package org.dkimrelay.relay.upstream;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/** TLS contexts for the upstream connection: the JDK's trust store, or the CAs of one PEM file. */
public final class TlsContexts {
  private TlsContexts() {}

  public static SSLContext systemDefault() throws GeneralSecurityException {
    return SSLContext.getDefault();
  }

  /**
   * Encrypts without authenticating the peer: opportunistic TLS (RFC 7435) is about passive
   * eavesdroppers, and refusing a self-signed certificate would only mean sending in clear.
   */
  public static SSLContext unauthenticated() throws GeneralSecurityException {
    X509ExtendedTrustManager acceptAll =
        new X509ExtendedTrustManager() {
          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

          @Override
          public void checkClientTrusted(
              X509Certificate[] chain, String authType, SSLEngine engine) {}

          @Override
          public void checkServerTrusted(
              X509Certificate[] chain, String authType, SSLEngine engine) {}

          @Override
          public void checkClientTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public void checkServerTrusted(X509Certificate[] chain, String authType) {}

          @Override
          public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
          }
        };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {acceptAll}, null);
    return context;
  }

  /** Trusts exactly the certificates in {@code caFile} (PEM), e.g. a private CA for a smarthost. */
  public static SSLContext trusting(Path caFile) throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      int index = 0;
      for (Certificate certificate :
          CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + index++, certificate);
      }
      if (index == 0) {
        throw new GeneralSecurityException(caFile + " holds no PEM certificate");
      }
    }
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return context;
  }

  /**
   * STARTTLS on {@code plain}, after upstream's 220. Opportunistic: encrypt, but do not
   * authenticate (RFC 7435); required: the configured trust and the RFC 6125 name check. TLS 1.2
   * and 1.3 only.
   */
  static SSLSocket handshake(Socket plain, UpstreamSettings settings, boolean required)
      throws IOException, GeneralSecurityException {
    SSLContext context = required ? settings.tlsContext() : unauthenticated();
    SSLSocket tls =
        (SSLSocket)
            context.getSocketFactory().createSocket(plain, settings.host(), settings.port(), true);
    SSLParameters parameters = tls.getSSLParameters();
    if (required) {
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
    }
    parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
    tls.setSSLParameters(parameters);
    tls.startHandshake();
    return tls;
  }
}

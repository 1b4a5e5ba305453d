package org.dkimrelay.relay.service;

import java.lang.reflect.Proxy;

/**
 * Runs an action on SIGHUP (systemctl reload). The JDK's only hook for that is sun.misc.Signal in
 * the jdk.unsupported module; it is reached by reflection because javac's proprietary-API warning
 * cannot be silenced and the build treats warnings as errors.
 */
public final class HangupSignal {
  private HangupSignal() {}

  /** Installs {@code action} as the SIGHUP handler; false when this JVM offers no way to. */
  public static boolean onHangup(Runnable action) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      Object hangup = signalClass.getConstructor(String.class).newInstance("HUP");
      Object handler =
          Proxy.newProxyInstance(
              HangupSignal.class.getClassLoader(),
              new Class<?>[] {handlerClass},
              (proxy, method, args) -> {
                switch (method.getName()) {
                  case "handle" -> action.run();
                  case "hashCode" -> {
                    return System.identityHashCode(proxy);
                  }
                  case "equals" -> {
                    return proxy == args[0];
                  }
                  case "toString" -> {
                    return "dkimrelay SIGHUP handler";
                  }
                  default -> {
                    // nothing else is called on a signal handler
                  }
                }
                return null;
              });
      signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, hangup, handler);
      return true;
    } catch (ReflectiveOperationException | IllegalArgumentException e) {
      return false;
    }
  }
}

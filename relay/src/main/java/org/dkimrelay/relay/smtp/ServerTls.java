package org.dkimrelay.relay.smtp;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Arrays;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.subethamail.smtp.server.SSLSocketCreator;

/**
 * Inbound STARTTLS: our certificate and key from PEM files, TLS 1.2 and 1.3 only, forward-secret
 * AEAD suites only (SubEthaSMTP's own setup enables everything the JDK has).
 */
final class ServerTls implements SSLSocketCreator {
  private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  private final SSLContext context;
  private final String[] cipherSuites;

  private ServerTls(SSLContext context) {
    this.context = context;
    this.cipherSuites =
        Arrays.stream(context.getSupportedSSLParameters().getCipherSuites())
            .filter(ServerTls::strong)
            .toArray(String[]::new);
  }

  /**
   * Loads the certificate chain (PEM, leaf first) and its private key (PEM: PKCS#8 or PKCS#1/SEC1).
   *
   * @throws IllegalArgumentException saying which file is unusable and why
   */
  static ServerTls load(Path certificateFile, Path keyFile) {
    Certificate[] chain;
    try (InputStream in = Files.newInputStream(certificateFile)) {
      chain =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(in)
              .toArray(Certificate[]::new);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(certificateFile + ": " + e.getMessage());
    }
    if (chain.length == 0) {
      throw new IllegalArgumentException(certificateFile + ": no PEM certificate in it");
    }
    PrivateKey key = privateKey(keyFile);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] unused = new char[0]; // the store never leaves memory
      store.setKeyEntry("server", key, unused, chain);
      KeyManagerFactory keys =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, unused);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return new ServerTls(context);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(
          keyFile + " and " + certificateFile + " do not make a TLS identity: " + e.getMessage());
    }
  }

  private static PrivateKey privateKey(Path keyFile) {
    try (Reader reader = Files.newBufferedReader(keyFile, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(reader)) {
      Object parsed = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (parsed instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (parsed instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      throw new IllegalArgumentException(
          keyFile + ": no unencrypted PEM private key in it (BEGIN PRIVATE KEY)");
    } catch (IOException e) {
      throw new IllegalArgumentException(keyFile + ": " + e.getMessage());
    }
  }

  private static boolean strong(String suite) {
    boolean tls13 = suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_");
    boolean aead = suite.contains("_GCM_") || suite.contains("_CHACHA20_POLY1305_");
    return tls13 || (suite.startsWith("TLS_ECDHE_") && aead);
  }

  @Override
  public SSLSocket createSSLSocket(Socket socket) throws IOException {
    InetSocketAddress remote = (InetSocketAddress) socket.getRemoteSocketAddress();
    SSLSocket tls =
        (SSLSocket)
            context
                .getSocketFactory()
                .createSocket(socket, remote.getHostString(), socket.getPort(), true);
    tls.setUseClientMode(false);
    tls.setEnabledProtocols(PROTOCOLS);
    tls.setEnabledCipherSuites(cipherSuites);
    return tls;
  }
}

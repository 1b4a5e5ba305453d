package org.dkimrelay.relay.milter;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SocketChannel;

/**
 * Acknowledges what arrives at once (TCP_QUICKACK, Linux). Postfix streams headers and body chunks
 * without waiting for a reply (we asked for no reply): with its Nagle on and our ACK delayed, each
 * message would otherwise wait for the delayed-ACK timer. Linux leaves quick-ACK mode by itself, so
 * it is set again after every read.
 */
final class QuickAckInput extends FilterInputStream {
  private final SocketChannel channel;
  private boolean supported = true;

  QuickAckInput(InputStream in, SocketChannel channel) {
    super(in);
    this.channel = channel;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int read = super.read(buffer, offset, length);
    if (supported && read > 0) {
      try {
        channel.setOption(jdk.net.ExtendedSocketOptions.TCP_QUICKACK, true);
      } catch (UnsupportedOperationException e) {
        supported = false; // not Linux: Nagle off on our side is all we can do
      }
    }
    return read;
  }
}

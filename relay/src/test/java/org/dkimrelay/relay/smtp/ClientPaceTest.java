package org.dkimrelay.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClientPaceTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void aCommandLineIsDueWithinTheTimeoutOfTheLastReply() {
    ClientPace pace = new ClientPace(Duration.ofSeconds(10), 500, 0);
    assertThat(pace.overdue(10 * SECOND)).isFalse();
    assertThat(pace.overdue(10 * SECOND + 1)).isTrue();
    pace.awaitingCommand(8 * SECOND);
    assertThat(pace.overdue(18 * SECOND)).isFalse();
    assertThat(pace.overdue(19 * SECOND)).isTrue();
  }

  @Test
  void whileTheRelayWorksTheClientOwesNothing() {
    ClientPace pace = new ClientPace(Duration.ofSeconds(10), 500, 0);
    pace.serving();
    assertThat(pace.overdue(3600 * SECOND)).isFalse();
  }

  @Test
  void dataEarnsOneSecondPerMinimumRateOfBytes() {
    ClientPace pace = new ClientPace(Duration.ofSeconds(10), 500, 0);
    pace.dataStarted(0);
    pace.dataReceived(5000); // 10 more seconds
    assertThat(pace.overdue(20 * SECOND)).isFalse();
    assertThat(pace.overdue(21 * SECOND)).isTrue();
  }

  @Test
  void aClientCutOffIsNotReportedAgain() {
    ClientPace pace = new ClientPace(Duration.ofSeconds(1), 500, 0);
    assertThat(pace.overdue(2 * SECOND)).isTrue();
    pace.cutOff();
    assertThat(pace.overdue(3 * SECOND)).isFalse();
  }
}

package io.mcp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mcp.it.FaultProxy.Direction;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy itself: each fault is checked by counting bytes and segments, or by a lower bound on
 * elapsed time (a fault can only make delivery slower, so a lower bound cannot flake on a busy
 * machine; upper bounds are generous deadlines only).
 */
class FaultProxyTest {
  static final int WAIT_MS = 10_000;

  ServerSocket target;
  final LinkedBlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
  Thread acceptor;
  FaultProxy proxy;

  @BeforeEach
  void start() throws IOException {
    target = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(() -> {
      while (!target.isClosed()) {
        try {
          accepted.add(target.accept());
        } catch (IOException e) {
          return;
        }
      }
    }, "fault-proxy-test-acceptor");
    acceptor.setDaemon(true);
    acceptor.start();
    proxy = FaultProxy.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), target.getLocalPort()));
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    target.close();
    acceptor.join(WAIT_MS);
    for (Socket s : accepted) {
      s.close();
    }
  }

  /** Connects through the proxy; returns {client, the target's side}. */
  Socket[] pair() throws Exception {
    Socket client = new Socket();
    client.connect(proxy.address(), WAIT_MS);
    client.setSoTimeout(WAIT_MS);
    Socket server = accepted.poll(WAIT_MS, TimeUnit.MILLISECONDS);
    assertThat(server).as("the proxy connected to the target").isNotNull();
    server.setSoTimeout(WAIT_MS);
    return new Socket[] {client, server};
  }

  /** Write counters are updated when the write completed, which may be just after the reader got the bytes. */
  static void awaitCount(java.util.function.LongSupplier counter, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (counter.getAsLong() != expected && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(counter.getAsLong()).isEqualTo(expected);
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  static byte[] readFully(InputStream in, int n) throws IOException {
    byte[] b = in.readNBytes(n);
    assertThat(b).hasSize(n);
    return b;
  }

  @Test
  void noFaults_bytesPassBothWaysUnchanged() throws Exception {
    Socket[] p = pair();
    byte[] up = random(100_000);
    byte[] down = random(50_000);
    p[0].getOutputStream().write(up);
    assertThat(readFully(p[1].getInputStream(), up.length)).isEqualTo(up);
    p[1].getOutputStream().write(down);
    assertThat(readFully(p[0].getInputStream(), down.length)).isEqualTo(down);
    awaitCount(() -> proxy.bytesForwarded(Direction.UPSTREAM), up.length);
    awaitCount(() -> proxy.bytesForwarded(Direction.DOWNSTREAM), down.length);
    assertThat(proxy.accepted()).isEqualTo(1);
  }

  @Test
  void slice_everySegmentWithinBounds_contentIntact() throws Exception {
    proxy.slice(Direction.DOWNSTREAM, 1, 16);
    Socket[] p = pair();
    byte[] data = random(20_000);
    p[1].getOutputStream().write(data);

    assertThat(readFully(p[0].getInputStream(), data.length)).isEqualTo(data);
    awaitCount(() -> proxy.bytesForwarded(Direction.DOWNSTREAM), data.length);
    assertThat(proxy.minSegment(Direction.DOWNSTREAM)).isGreaterThanOrEqualTo(1);
    assertThat(proxy.maxSegment(Direction.DOWNSTREAM)).isLessThanOrEqualTo(16);
    // 20,000 bytes in segments of at most 16 bytes are at least 1,250 separate writes.
    assertThat(proxy.segmentsForwarded(Direction.DOWNSTREAM)).isGreaterThanOrEqualTo(20_000 / 16);
  }

  @Test
  void latency_roundTripTakesAtLeastTwiceTheMinimum() throws Exception {
    proxy.latency(Duration.ofMillis(200), Duration.ofMillis(50));
    Socket[] p = pair();
    long start = System.nanoTime();
    p[0].getOutputStream().write(42);
    assertThat(p[1].getInputStream().read()).isEqualTo(42);
    p[1].getOutputStream().write(43);
    assertThat(p[0].getInputStream().read()).isEqualTo(43);
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    // Each way is held at least mean - jitter = 150 ms.
    assertThat(elapsedMs).isGreaterThanOrEqualTo(300);
  }

  @Test
  void latencyWithJitter_keepsTheOrderOfBytes() throws Exception {
    proxy.latency(Direction.UPSTREAM, Duration.ofMillis(20), Duration.ofMillis(20)).slice(Direction.UPSTREAM, 1, 3);
    Socket[] p = pair();
    byte[] data = random(3_000);
    p[0].getOutputStream().write(data);
    assertThat(readFully(p[1].getInputStream(), data.length)).isEqualTo(data);
  }

  @Test
  void bandwidth_bytesTakeAtLeastSizeOverRate_andTheSenderIsHeldBack() throws Exception {
    proxy.bandwidth(Direction.DOWNSTREAM, 20_000);
    Socket[] p = pair();
    byte[] data = random(30_000);
    long start = System.nanoTime();
    p[1].getOutputStream().write(data);
    assertThat(readFully(p[0].getInputStream(), data.length)).isEqualTo(data);
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    // 30,000 bytes at 20,000 B/s: at least 1.5 s minus the first segment's size, which leaves at once.
    assertThat(elapsedMs).isGreaterThanOrEqualTo(1_000);
  }

  @Test
  void bandwidth_proxyStopsReading_soItHoldsABoundedAmount() throws Exception {
    proxy.bandwidth(Direction.DOWNSTREAM, 1_000);
    Socket[] p = pair();
    Thread writer = new Thread(() -> {
      try {
        p[1].getOutputStream().write(new byte[32 * 1024 * 1024]);
      } catch (IOException e) {
        // closed at the end of the test
      }
    });
    writer.setDaemon(true);
    writer.start();
    writer.join(2_000);
    // 32 MiB cannot all leave the sender: the proxy stopped reading, the kernel buffers filled.
    assertThat(writer.isAlive()).as("the sender is blocked by the slow link").isTrue();
    assertThat(proxy.bytesForwarded(Direction.DOWNSTREAM)).isLessThan(1_000_000);
    p[1].close();
    p[0].close();
    writer.join(WAIT_MS);
  }

  @Test
  void blackhole_connectionStaysOpen_nothingArrives_untilHealed() throws Exception {
    Socket[] p = pair();
    proxy.blackhole();
    p[0].getOutputStream().write(random(1_000));
    p[1].getOutputStream().write(random(1_000));
    p[0].setSoTimeout(300);
    p[1].setSoTimeout(300);
    assertThatThrownBy(() -> p[1].getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
    assertThatThrownBy(() -> p[0].getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
    // Even a close does not cross a blackhole.
    p[1].close();
    assertThatThrownBy(() -> p[0].getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
    assertThat(proxy.bytesForwarded(Direction.UPSTREAM)).isZero();
    assertThat(proxy.bytesForwarded(Direction.DOWNSTREAM)).isZero();

    proxy.heal();
    Socket[] q = pair();
    q[0].getOutputStream().write(7);
    assertThat(q[1].getInputStream().read()).isEqualTo(7);
  }

  @Test
  void resetAll_bothSidesSeeAReset() throws Exception {
    Socket[] p = pair();
    p[0].getOutputStream().write(1);
    assertThat(p[1].getInputStream().read()).isEqualTo(1);

    proxy.resetAll();

    assertThatThrownBy(() -> p[0].getInputStream().read()).isInstanceOf(SocketException.class)
        .hasMessageContaining("reset");
    assertThatThrownBy(() -> p[1].getInputStream().read()).isInstanceOf(SocketException.class)
        .hasMessageContaining("reset");
    awaitCount(proxy::resets, 1);
  }

  @Test
  void resetOne_onlyThatConnectionIsAborted() throws Exception {
    Socket[] a = pair();
    Socket[] b = pair();

    assertThat(proxy.reset(a[1].getRemoteSocketAddress())).isTrue();

    assertThatThrownBy(() -> a[0].getInputStream().read()).isInstanceOf(SocketException.class);
    b[0].getOutputStream().write(8);
    assertThat(b[1].getInputStream().read()).isEqualTo(8);
    assertThat(proxy.reset(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1))).isFalse();
  }

  @Test
  void resetAfter_forwardsExactlyThatManyBytes_thenResets() throws Exception {
    Socket[] p = pair();
    proxy.resetAfter(Direction.DOWNSTREAM, 1_234);
    byte[] data = random(10_000);
    p[1].getOutputStream().write(data);

    InputStream in = p[0].getInputStream();
    byte[] got = new byte[data.length];
    int n = 0;
    try {
      int r;
      while (n < got.length && (r = in.read(got, n, got.length - n)) > 0) {
        n += r;
      }
    } catch (SocketException expected) {
      // the reset
    }
    assertThat(n).isLessThanOrEqualTo(1_234);
    assertThat(Arrays.copyOf(got, n)).isEqualTo(Arrays.copyOf(data, n));
    awaitCount(() -> proxy.bytesForwarded(Direction.DOWNSTREAM), 1_234);
    awaitCount(proxy::resets, 1);
  }

  @Test
  void slowClose_theCloseArrivesNoSoonerThanTheDelay() throws Exception {
    proxy.slowClose(Duration.ofMillis(500));
    Socket[] p = pair();
    p[1].getOutputStream().write(9);
    long start = System.nanoTime();
    p[1].close();
    InputStream in = p[0].getInputStream();
    assertThat(in.read()).isEqualTo(9);
    assertThat(in.read()).as("end of stream").isEqualTo(-1);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(500);
  }

  @Test
  void halfClose_isPropagated_andTheOtherWayStillWorks() throws Exception {
    Socket[] p = pair();
    p[0].shutdownOutput();
    assertThat(p[1].getInputStream().read()).isEqualTo(-1);
    p[1].getOutputStream().write(5);
    assertThat(p[0].getInputStream().read()).isEqualTo(5);
  }

  @Test
  void downUp_refusedWhileDown_sameAddressAfterUp() throws Exception {
    Socket[] p = pair();
    int port = proxy.port();

    proxy.down();

    assertThatThrownBy(() -> p[0].getInputStream().read()).isInstanceOf(SocketException.class);
    try (Socket s = new Socket()) {
      assertThatThrownBy(() -> s.connect(proxy.address(), WAIT_MS)).isInstanceOf(ConnectException.class);
    }
    proxy.up();
    assertThat(proxy.port()).isEqualTo(port);
    Socket[] q = pair();
    q[0].getOutputStream().write(3);
    assertThat(q[1].getInputStream().read()).isEqualTo(3);
  }

  @Test
  void badArguments_areRejectedNamingTheValue() {
    assertThatThrownBy(() -> proxy.slice(5, 2)).hasMessageContaining("slice 5..2");
    assertThatThrownBy(() -> proxy.bandwidth(-1)).hasMessageContaining("bytesPerSecond -1");
    assertThatThrownBy(() -> proxy.latency(Duration.ofMillis(-1), Duration.ZERO))
        .hasMessageContaining("latency mean -1 ms");
  }
}

package io.mcp.core;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reports a leaked buffer during it. Registered for every test class
 * through JUnit's extension auto-detection; surefire runs with {@code
 * -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked.
 */
public final class NettyLeakCheck implements AfterAllCallback {
  static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();

  static {
    install();
  }

  /**
   * Installs the recording detector factory; idempotent (the static initialiser already did). For
   * tests that want the detectors in place before the extension runs, such as mcp-it's soak.
   */
  public static void install() {
    if (!(ResourceLeakDetectorFactory.instance() instanceof RecordingFactory)) {
      ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<String> leaks = collect();
    if (!leaks.isEmpty()) {
      throw new AssertionError("Netty reported " + leaks.size() + " leak(s) in "
          + context.getDisplayName() + ":\n" + String.join("\n", leaks));
    }
  }

  /** Runs GC and allocates tracked buffers so the detector polls its queue; returns and clears the leaks. */
  public static List<String> collect() {
    for (int i = 0; i < 4; i++) {
      System.gc();
      List<ByteBuf> probes = new ArrayList<>();
      for (int j = 0; j < 64; j++) {
        probes.add(PooledByteBufAllocator.DEFAULT.directBuffer(8));
        probes.add(UnpooledByteBufAllocator.DEFAULT.heapBuffer(8));
      }
      probes.forEach(ByteBuf::release);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    List<String> leaks = new ArrayList<>();
    String leak;
    while ((leak = LEAKS.poll()) != null) {
      leaks.add(leak);
    }
    return leaks;
  }

  private static final class RecordingFactory extends ResourceLeakDetectorFactory {
    @Override
    @SuppressWarnings("deprecation")
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
      return new ResourceLeakDetector<T>(resource, samplingInterval) {
        @Override
        protected void reportTracedLeak(String resourceType, String records) {
          LEAKS.add("LEAK of " + resourceType + records);
          super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
          LEAKS.add("LEAK of " + resourceType);
          super.reportUntracedLeak(resourceType);
        }
      };
    }
  }
}

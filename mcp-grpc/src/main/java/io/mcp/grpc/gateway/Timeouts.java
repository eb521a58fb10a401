package io.mcp.grpc.gateway;

import java.util.concurrent.TimeUnit;

/** Parses the deadline an HTTP caller asks for. */
final class Timeouts {
  private Timeouts() {}

  /**
   * The requested timeout in nanoseconds, or null for none: {@code grpc-timeout} in gRPC's format
   * (1 to 8 digits and a unit H, M, S, m, u or n), else {@code ?timeout=} as digits with a unit
   * {@code ms}, {@code s} or {@code m}.
   *
   * @throws IllegalArgumentException naming the malformed value
   */
  static Long requested(String grpcTimeout, String timeoutParam) {
    if (grpcTimeout != null) {
      String v = grpcTimeout.strip();
      if (!v.matches("[0-9]{1,8}[HMSmun]")) {
        throw new IllegalArgumentException("grpc-timeout '" + grpcTimeout + "' is not 1-8 digits and a unit H, M, S, m, u or n");
      }
      long n = Long.parseLong(v.substring(0, v.length() - 1));
      switch (v.charAt(v.length() - 1)) {
        case 'H': return TimeUnit.HOURS.toNanos(n);
        case 'M': return TimeUnit.MINUTES.toNanos(n);
        case 'S': return TimeUnit.SECONDS.toNanos(n);
        case 'm': return TimeUnit.MILLISECONDS.toNanos(n);
        case 'u': return TimeUnit.MICROSECONDS.toNanos(n);
        default: return n;
      }
    }
    if (timeoutParam != null) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,9})(ms|s|m)").matcher(timeoutParam.strip());
      if (!m.matches()) {
        throw new IllegalArgumentException("timeout '" + timeoutParam + "' is not digits and a unit ms, s or m");
      }
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms": return TimeUnit.MILLISECONDS.toNanos(n);
        case "s": return TimeUnit.SECONDS.toNanos(n);
        default: return TimeUnit.MINUTES.toNanos(n);
      }
    }
    return null;
  }
}

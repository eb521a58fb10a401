package io.mcp.core.internal;

import io.mcp.core.Session;
import java.util.Map;
import org.slf4j.MDC;

/**
 * The slf4j MDC keys MCP sets while an application handler runs: {@code mcp.session} (session
 * id), {@code mcp.node} (node id) and {@code mcp.trace} (the W3C trace id from the message's
 * {@code traceparent} header, empty without one). Event-loop code sets none: nothing per frame.
 */
public final class LogContext {
  public static final String SESSION = "mcp.session";
  public static final String NODE = "mcp.node";
  public static final String TRACE = "mcp.trace";

  private LogContext() {}

  /** Sets the keys for {@code session} and a message's {@code headers}. */
  public static void enter(Session session, Map<String, String> headers) {
    MDC.put(SESSION, session.id());
    MDC.put(NODE, session.nodeId());
    MDC.put(TRACE, traceId(headers.get("traceparent")));
  }

  /** Removes the keys {@link #enter} set. */
  public static void exit() {
    MDC.remove(SESSION);
    MDC.remove(NODE);
    MDC.remove(TRACE);
  }

  /** The 32 hex digits of a W3C {@code traceparent} ({@code 00-<trace>-<span>-<flags>}), or "". */
  public static String traceId(String traceparent) {
    return traceparent != null && traceparent.length() >= 35 && traceparent.charAt(2) == '-'
        ? traceparent.substring(3, 35) : "";
  }
}

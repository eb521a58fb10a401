package io.mcp.grpc;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.simple.SimpleServiceProvider;
import org.slf4j.spi.MDCAdapter;

/**
 * slf4j-simple with a working MDC that also records every line logged, with the MDC as it was at
 * that moment, so tests can check what a log line carries. Selected by the {@code slf4j.provider}
 * system property in this module's surefire configuration.
 */
public final class CapturingLogProvider extends SimpleServiceProvider {
  /** One logged line: logger, level, formatted message, and a copy of the MDC. */
  public record Line(String logger, Level level, String message, Map<String, String> mdc) {}

  private static final List<Line> LINES = new CopyOnWriteArrayList<>();
  private final MDCAdapter mdc = new BasicMDCAdapter();
  private ILoggerFactory factory;

  /** Every line logged in this JVM since it started (or since {@link #clear()}). */
  public static List<Line> lines() {
    return List.copyOf(LINES);
  }

  public static void clear() {
    LINES.clear();
  }

  @Override
  public void initialize() {
    super.initialize();
    ILoggerFactory simple = super.getLoggerFactory();
    factory = name -> new Capturing(simple.getLogger(name));
  }

  @Override
  public ILoggerFactory getLoggerFactory() {
    return factory;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  private static final class Capturing extends AbstractLogger {
    private static final long serialVersionUID = 1L;
    private final transient Logger delegate;

    Capturing(Logger delegate) {
      this.delegate = delegate;
      this.name = delegate.getName();
    }

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
        Throwable throwable) {
      String message = MessageFormatter.basicArrayFormat(pattern, arguments);
      Map<String, String> context = MDC.getCopyOfContextMap();
      LINES.add(new Line(name, level, message, context == null ? Map.of() : Map.copyOf(context)));
      delegate.makeLoggingEventBuilder(level).setCause(throwable).log(message);
    }

    @Override
    public boolean isTraceEnabled() {
      return delegate.isTraceEnabled();
    }

    @Override
    public boolean isTraceEnabled(Marker marker) {
      return delegate.isTraceEnabled();
    }

    @Override
    public boolean isDebugEnabled() {
      return delegate.isDebugEnabled();
    }

    @Override
    public boolean isDebugEnabled(Marker marker) {
      return delegate.isDebugEnabled();
    }

    @Override
    public boolean isInfoEnabled() {
      return delegate.isInfoEnabled();
    }

    @Override
    public boolean isInfoEnabled(Marker marker) {
      return delegate.isInfoEnabled();
    }

    @Override
    public boolean isWarnEnabled() {
      return delegate.isWarnEnabled();
    }

    @Override
    public boolean isWarnEnabled(Marker marker) {
      return delegate.isWarnEnabled();
    }

    @Override
    public boolean isErrorEnabled() {
      return delegate.isErrorEnabled();
    }

    @Override
    public boolean isErrorEnabled(Marker marker) {
      return delegate.isErrorEnabled();
    }
  }
}

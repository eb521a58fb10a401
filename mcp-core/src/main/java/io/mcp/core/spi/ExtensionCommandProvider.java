package io.mcp.core.spi;

import java.util.List;

/**
 * Supplies {@link ExtensionCommandHandler}s, found through {@code
 * META-INF/services/io.mcp.core.spi.ExtensionCommandProvider} or added by hand. Two handlers that
 * claim the same command byte make the server fail at start, naming both providers.
 */
public interface ExtensionCommandProvider {
  /** A name for error messages and logs. */
  default String name() {
    return getClass().getName();
  }

  /** The handlers this provider contributes. */
  List<ExtensionCommandHandler> handlers();
}

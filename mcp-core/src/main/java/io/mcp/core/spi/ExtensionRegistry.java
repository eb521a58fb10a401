package io.mcp.core.spi;

import io.mcp.codec.Command;
import io.mcp.core.internal.NamedProviders;
import java.util.ArrayList;
import java.util.List;

/**
 * The extension commands a server or client accepts: a table from command byte to handler. Built
 * once; two providers claiming one command byte are an error naming both.
 *
 * <p>Immutable once built, thread-safe.
 */
public final class ExtensionRegistry {
  private static final ExtensionRegistry EMPTY = new ExtensionRegistry(new ExtensionCommandHandler[256]);

  private final ExtensionCommandHandler[] handlers;

  private ExtensionRegistry(ExtensionCommandHandler[] handlers) {
    this.handlers = handlers;
  }

  /** No extension commands. */
  public static ExtensionRegistry empty() {
    return EMPTY;
  }

  /** The providers found through {@link java.util.ServiceLoader}, a broken one skipped with a log line. */
  public static List<ExtensionCommandProvider> loadProviders() {
    return NamedProviders.load(ExtensionCommandProvider.class, "extension command");
  }

  /**
   * Builds the table from {@code providers}.
   *
   * @throws IllegalStateException if two handlers claim one command byte (naming both providers),
   *     or a handler claims a byte outside 0x80..0xFF
   */
  public static ExtensionRegistry of(List<? extends ExtensionCommandProvider> providers) {
    ExtensionCommandHandler[] table = new ExtensionCommandHandler[256];
    String[] owners = new String[256];
    for (ExtensionCommandProvider provider : providers) {
      for (ExtensionCommandHandler handler : provider.handlers()) {
        int code = handler.command();
        if (code < Command.MIN_EXTENSION_CODE || code > Command.MAX_EXTENSION_CODE) {
          throw new IllegalStateException(String.format(
              "extension provider %s claims command 0x%02X outside 0x80..0xFF", provider.name(), code));
        }
        if (table[code] != null) {
          throw new IllegalStateException(String.format(
              "extension command 0x%02X claimed by both %s and %s", code, owners[code], provider.name()));
        }
        table[code] = handler;
        owners[code] = provider.name();
      }
    }
    return new ExtensionRegistry(table);
  }

  /** The handler of {@code code}, or {@code null}. */
  public ExtensionCommandHandler handler(int code) {
    return code >= 0 && code < handlers.length ? handlers[code] : null;
  }

  /** The command bytes that have handlers. */
  public List<Integer> commands() {
    List<Integer> codes = new ArrayList<>();
    for (int i = Command.MIN_EXTENSION_CODE; i <= Command.MAX_EXTENSION_CODE; i++) {
      if (handlers[i] != null) {
        codes.add(i);
      }
    }
    return codes;
  }
}

/** Extension points loaded through {@link java.util.ServiceLoader}: authenticators and extension commands. */
package io.mcp.core.spi;

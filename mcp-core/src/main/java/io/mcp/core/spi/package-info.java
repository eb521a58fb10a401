/**
 * Extension points loaded through {@link java.util.ServiceLoader}: authenticators, extension
 * commands, configuration stores and rollout policies.
 */
package io.mcp.core.spi;

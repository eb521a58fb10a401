/**
 * Short, compiled examples of embedding MCP: a controller, an agent, and SPI plugins (an
 * authenticator, a rollout policy and a config store provider) registered through
 * {@code META-INF/services}. docs/EMBEDDING.md walks through them.
 */
package io.mcp.examples.embed;

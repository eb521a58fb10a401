/**
 * Layered server configuration: built-in defaults, a YAML or JSON file, environment variables and
 * system properties, bound to immutable records ({@link io.mcp.config.McpServerConfig}).
 */
package io.mcp.config;

/** Built-in authenticators: static token, JWT bearer, mutual-TLS identity and allow-all. */
package io.mcp.core.auth;

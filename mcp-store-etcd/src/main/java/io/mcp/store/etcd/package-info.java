/** The distributed {@link io.mcp.core.spi.ConfigStore} on etcd, for several controller replicas. */
package io.mcp.store.etcd;

package io.mcp.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;

/**
 * The store's key layout under its prefix {@code P} (default {@code /mcp/v1}). Names (services,
 * nodes, replicas) are written with {@code %} as {@code %25} and {@code /} as {@code %2F}, so a
 * name can never reach into another key's space.
 *
 * <pre>
 * P/latest/{service}                    newest version number, decimal (the compare-and-swap target)
 * P/versions/{service}/{%020d version}  1 byte format (1) | createdAt: i64 seconds, i32 nanos | config bytes
 * P/ledger/{node}/{service}             i64 applied | i64 rejected | rejection reason, UTF-8
 * P/replicas/{replica}                  under the replica's lease: started at, ISO-8601
 * P/presence/{replica}/{node}           under the replica's lease: the node's announcement
 * </pre>
 *
 * <p>Immutable and thread-safe.
 */
final class Keys {
  final String prefix;

  Keys(String prefix) {
    this.prefix = prefix;
  }

  static String escape(String name) {
    return name.replace("%", "%25").replace("/", "%2F");
  }

  static String unescape(String escaped) {
    return escaped.replace("%2F", "/").replace("%25", "%");
  }

  static ByteSequence bytes(String key) {
    return ByteSequence.from(key, UTF_8);
  }

  String latestPrefix() {
    return prefix + "/latest/";
  }

  String latest(String service) {
    return latestPrefix() + escape(service);
  }

  String versionsPrefix() {
    return prefix + "/versions/";
  }

  String versionsOf(String service) {
    return versionsPrefix() + escape(service) + "/";
  }

  String version(String service, long version) {
    return versionsOf(service) + String.format("%020d", version);
  }

  /** Of a key under {@link #versionsPrefix()}: {service, version}, or null if it is not one. */
  Object[] parseVersionKey(String key) {
    if (!key.startsWith(versionsPrefix())) {
      return null;
    }
    String rest = key.substring(versionsPrefix().length());
    int slash = rest.lastIndexOf('/');
    if (slash <= 0 || rest.length() - slash - 1 != 20) {
      return null;
    }
    try {
      return new Object[] {unescape(rest.substring(0, slash)), Long.parseLong(rest.substring(slash + 1))};
    } catch (NumberFormatException e) {
      return null;
    }
  }

  String ledgerPrefix() {
    return prefix + "/ledger/";
  }

  String ledger(String nodeId, String service) {
    return ledgerPrefix() + escape(nodeId) + "/" + escape(service);
  }

  String replicasPrefix() {
    return prefix + "/replicas/";
  }

  String replica(String replicaId) {
    return replicasPrefix() + escape(replicaId);
  }

  String presencePrefix() {
    return prefix + "/presence/";
  }

  String presence(String replicaId, String nodeId) {
    return presencePrefix() + escape(replicaId) + "/" + escape(nodeId);
  }

  /** The end of the range of every key starting with {@code prefix} (its last byte plus one). */
  static ByteSequence rangeEnd(String prefix) {
    byte[] b = prefix.getBytes(UTF_8);
    b[b.length - 1]++;
    return ByteSequence.from(b);
  }
}

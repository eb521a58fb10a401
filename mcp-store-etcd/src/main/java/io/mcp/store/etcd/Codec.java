package io.mcp.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.mcp.core.spi.ConfigVersion;
import io.mcp.core.spi.NodePresence;
import io.mcp.core.spi.NodeRecord;
import io.mcp.core.spi.StoreException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** The binary values of the store's keys (see {@link Keys}). Stateless. */
final class Codec {
  static final byte VERSION_FORMAT = 1;
  static final int VERSION_HEADER_BYTES = 1 + 8 + 4;
  static final byte PRESENCE_FORMAT = 1;

  private Codec() {}

  static byte[] encodeVersion(Instant createdAt, byte[] data) {
    ByteBuffer out = ByteBuffer.allocate(VERSION_HEADER_BYTES + data.length);
    out.put(VERSION_FORMAT).putLong(createdAt.getEpochSecond()).putInt(createdAt.getNano()).put(data);
    return out.array();
  }

  static ConfigVersion decodeVersion(String service, long version, byte[] value) {
    if (value.length < VERSION_HEADER_BYTES || value[0] != VERSION_FORMAT) {
      throw new StoreException("version " + version + " of " + service + " is not in format " + VERSION_FORMAT
          + " (" + value.length + " bytes, first byte " + (value.length == 0 ? "none" : value[0]) + ")");
    }
    ByteBuffer in = ByteBuffer.wrap(value);
    in.get();
    Instant createdAt = Instant.ofEpochSecond(in.getLong(), in.getInt());
    return ConfigVersion.of(service, version, Arrays.copyOfRange(value, VERSION_HEADER_BYTES, value.length), createdAt);
  }

  static byte[] encodeLedger(long applied, long rejected, String reason) {
    byte[] text = reason.getBytes(UTF_8);
    return ByteBuffer.allocate(16 + text.length).putLong(applied).putLong(rejected).put(text).array();
  }

  static NodeRecord decodeLedger(String nodeId, String service, byte[] value) {
    if (value.length < 16) {
      throw new StoreException("ledger entry of node " + nodeId + " and " + service + " has " + value.length
          + " bytes, at least 16 expected");
    }
    ByteBuffer in = ByteBuffer.wrap(value);
    long applied = in.getLong();
    long rejected = in.getLong();
    return new NodeRecord(nodeId, service, applied, rejected, new String(value, 16, value.length - 16, UTF_8));
  }

  static byte[] encodePresence(NodePresence node) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(PRESENCE_FORMAT);
      writeString(out, node.nodeId());
      out.writeLong(node.connectedAt().getEpochSecond());
      out.writeInt(node.connectedAt().getNano());
      out.writeInt(node.services().size());
      for (String service : node.services()) {
        writeString(out, service);
      }
      out.writeInt(node.metadata().size());
      for (Map.Entry<String, String> e : node.metadata().entrySet()) {
        writeString(out, e.getKey());
        writeString(out, e.getValue());
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static NodePresence decodePresence(String replicaId, byte[] value, Map<String, Long> applied) {
    try {
      DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(value));
      byte format = in.readByte();
      if (format != PRESENCE_FORMAT) {
        throw new StoreException("presence entry of replica " + replicaId + " has format " + format
            + ", expected " + PRESENCE_FORMAT);
      }
      String nodeId = readString(in);
      Instant connectedAt = Instant.ofEpochSecond(in.readLong(), in.readInt());
      int services = count(in.readInt(), replicaId);
      Set<String> serviceSet = new LinkedHashSet<>();
      for (int i = 0; i < services; i++) {
        serviceSet.add(readString(in));
      }
      int entries = count(in.readInt(), replicaId);
      Map<String, String> metadata = new LinkedHashMap<>();
      for (int i = 0; i < entries; i++) {
        metadata.put(readString(in), readString(in));
      }
      return new NodePresence(replicaId, nodeId, serviceSet, metadata, connectedAt, applied);
    } catch (IOException e) {
      throw new StoreException("presence entry of replica " + replicaId + " is truncated (" + value.length + " bytes)", e);
    }
  }

  private static int count(int n, String replicaId) {
    if (n < 0 || n > 100_000) {
      throw new StoreException("presence entry of replica " + replicaId + " declares " + n + " items, max 100000");
    }
    return n;
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > in.available()) {
      throw new IOException("string of " + length + " bytes, " + in.available() + " left");
    }
    return new String(in.readNBytes(length), UTF_8);
  }
}

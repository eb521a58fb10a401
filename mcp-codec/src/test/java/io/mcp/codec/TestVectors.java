package io.mcp.codec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Loads {@code docs/test-vectors/frames.txt}, which the build copies onto the test classpath. */
final class TestVectors {
  private TestVectors() {}

  /** One vector: input bytes and what a decoder must make of them. */
  static final class Vector {
    String name;
    CodecOptions options = CodecOptions.defaults();
    byte[] input = new byte[0];
    final List<Frame> frames = new ArrayList<>();
    CloseCode error;
    int pending;

    @Override
    public String toString() {
      return name;
    }
  }

  static List<Vector> load(String resource) {
    InputStream in = TestVectors.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException(resource + " not on the test classpath");
    }
    List<Vector> vectors = new ArrayList<>();
    HexFormat hex = HexFormat.of();
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      Vector current = null;
      StringBuilder inputHex = new StringBuilder();
      String line;
      int lineNumber = 0;
      while ((line = reader.readLine()) != null) {
        lineNumber++;
        if (line.startsWith("#")) {
          continue;
        }
        if (line.isBlank()) {
          if (current != null) {
            current.input = hex.parseHex(inputHex);
            vectors.add(current);
            current = null;
            inputHex.setLength(0);
          }
          continue;
        }
        int colon = line.indexOf(':');
        if (colon < 0) {
          throw new IllegalStateException(resource + ":" + lineNumber + ": no key in " + line);
        }
        String key = line.substring(0, colon).trim();
        String value = line.substring(colon + 1).trim();
        if (current == null) {
          if (!key.equals("name")) {
            throw new IllegalStateException(resource + ":" + lineNumber + ": block must start with name:");
          }
          current = new Vector();
        }
        switch (key) {
          case "name":
            current.name = value;
            break;
          case "options":
            current.options = parseOptions(value);
            break;
          case "hex":
            inputHex.append(value.replace(" ", ""));
            break;
          case "frame":
            String[] parts = value.split(" ");
            byte[] payload = parts[1].equals("-") ? new byte[0] : hex.parseHex(parts[1]);
            current.frames.add(Frame.of(Command.of(Integer.parseInt(parts[0])), payload));
            break;
          case "error":
            current.error = errorCode(value);
            break;
          case "pending":
            current.pending = Integer.parseInt(value);
            break;
          default:
            throw new IllegalStateException(resource + ":" + lineNumber + ": unknown key " + key);
        }
      }
      if (current != null) {
        current.input = hex.parseHex(inputHex);
        vectors.add(current);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return vectors;
  }

  private static CodecOptions parseOptions(String value) {
    CodecOptions.Builder builder = CodecOptions.builder();
    for (String option : value.split(",")) {
      String[] kv = option.trim().split("=");
      switch (kv[0]) {
        case "order":
          builder.byteOrder(kv[1].equals("little") ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
          break;
        case "max":
          builder.maxPayloadBytes(Integer.parseInt(kv[1]));
          break;
        case "ext":
          builder.acceptExtension(Integer.decode(kv[1]));
          break;
        default:
          throw new IllegalStateException("unknown option " + kv[0]);
      }
    }
    return builder.build();
  }

  private static CloseCode errorCode(String name) {
    for (int value = 0; value < 12; value++) {
      if (CloseCode.of(value).name().equals(name)) {
        return CloseCode.of(value);
      }
    }
    throw new IllegalStateException("unknown close code " + name);
  }
}

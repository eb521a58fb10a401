package io.mcp.codec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads {@code docs/test-vectors/envelopes.txt}, which the build copies onto the test classpath.
 * The file's header describes the format.
 */
final class EnvelopeVectors {
  private static final HexFormat HEX = HexFormat.of();

  private EnvelopeVectors() {}

  /** One vector: envelope bytes and either the fields they decode to or the error they cause. */
  static final class Vector {
    String name;
    byte[] bytes = new byte[0];
    Envelope.Kind kind;
    long correlationId;
    long timeoutMillis;
    String type = "";
    final Map<String, String> headers = new LinkedHashMap<>();
    /** Null when the file leaves it out: empty, or code + message for an ERROR. */
    byte[] body;
    Integer code;
    String message;
    CloseCode error;
    String reason;

    boolean valid() {
      return error == null;
    }

    /** The body the envelope must have. */
    byte[] expectedBody() {
      if (body != null) {
        return body;
      }
      if (kind != Envelope.Kind.ERROR) {
        return new byte[0];
      }
      byte[] text = message.getBytes(StandardCharsets.UTF_8);
      byte[] out = new byte[2 + text.length];
      out[0] = (byte) (code >>> 8);
      out[1] = (byte) (int) code;
      System.arraycopy(text, 0, out, 2, text.length);
      return out;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static List<Vector> load(String resource) {
    InputStream in = EnvelopeVectors.class.getResourceAsStream(resource);
    if (in == null) {
      throw new IllegalStateException(resource + " not on the test classpath");
    }
    List<Vector> vectors = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      Vector current = null;
      StringBuilder hex = new StringBuilder();
      String line;
      int lineNumber = 0;
      while ((line = reader.readLine()) != null) {
        lineNumber++;
        if (line.startsWith("#")) {
          continue;
        }
        if (line.isBlank()) {
          if (current != null) {
            vectors.add(finish(current, hex, resource));
            current = null;
          }
          continue;
        }
        String where = resource + ":" + lineNumber;
        int colon = line.indexOf(':');
        if (colon < 0) {
          throw new IllegalStateException(where + ": no key in " + line);
        }
        String key = line.substring(0, colon).trim();
        String value = line.substring(colon + 1).trim();
        if (current == null) {
          if (!key.equals("name")) {
            throw new IllegalStateException(where + ": block must start with name:");
          }
          current = new Vector();
        }
        switch (key) {
          case "name" -> current.name = value;
          case "hex" -> hex.append(value.replace(" ", ""));
          case "kind" -> current.kind = Envelope.Kind.valueOf(value);
          case "id" -> current.correlationId = Long.parseUnsignedLong(value);
          case "timeout" -> current.timeoutMillis = Long.parseLong(value);
          case "type" -> current.type = single(value, where);
          case "header" -> {
            List<String> kv = strings(value, where);
            if (kv.size() != 2 || current.headers.put(kv.get(0), kv.get(1)) != null) {
              throw new IllegalStateException(where + ": bad header " + value);
            }
          }
          case "body" -> current.body =
              value.equals("-") ? new byte[0] : HEX.parseHex(value.replace(" ", ""));
          case "code" -> current.code = Integer.parseInt(value.split(" ")[0]);
          case "message" -> current.message = single(value, where);
          case "error" -> current.error = closeCode(value);
          case "reason" -> current.reason = value;
          default -> throw new IllegalStateException(where + ": unknown key " + key);
        }
      }
      if (current != null) {
        vectors.add(finish(current, hex, resource));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return vectors;
  }

  private static Vector finish(Vector v, StringBuilder hex, String resource) {
    v.bytes = HEX.parseHex(hex);
    hex.setLength(0);
    if ((v.kind == null) == (v.error == null)) {
      throw new IllegalStateException(resource + ": " + v.name + " needs exactly one of kind:, error:");
    }
    if ((v.kind == Envelope.Kind.ERROR) != (v.code != null && v.message != null)) {
      throw new IllegalStateException(resource + ": " + v.name + ": code: and message: go with ERROR");
    }
    return v;
  }

  private static String single(String value, String where) {
    List<String> strings = strings(value, where);
    if (strings.size() != 1) {
      throw new IllegalStateException(where + ": expected one string in " + value);
    }
    return strings.get(0);
  }

  /** Parses double-quoted strings separated by spaces; {@code \"} and {@code \\} are escapes. */
  private static List<String> strings(String value, String where) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < value.length()) {
      if (value.charAt(i) == ' ') {
        i++;
        continue;
      }
      if (value.charAt(i) != '"') {
        throw new IllegalStateException(where + ": expected a quoted string at " + value.substring(i));
      }
      StringBuilder s = new StringBuilder();
      i++;
      while (true) {
        if (i >= value.length()) {
          throw new IllegalStateException(where + ": unterminated string in " + value);
        }
        char c = value.charAt(i++);
        if (c == '"') {
          break;
        }
        if (c == '\\') {
          if (i >= value.length() || (value.charAt(i) != '"' && value.charAt(i) != '\\')) {
            throw new IllegalStateException(where + ": bad escape in " + value);
          }
          c = value.charAt(i++);
        }
        s.append(c);
      }
      out.add(s.toString());
    }
    return out;
  }

  private static CloseCode closeCode(String name) {
    for (int value = 0; value < 12; value++) {
      if (CloseCode.of(value).name().equals(name)) {
        return CloseCode.of(value);
      }
    }
    throw new IllegalStateException("unknown close code " + name);
  }
}

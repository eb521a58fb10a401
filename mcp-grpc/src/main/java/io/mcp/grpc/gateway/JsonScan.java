package io.mcp.grpc.gateway;

/**
 * Bounds checked on a JSON body before any parser builds objects from it: the nesting depth of
 * objects and arrays and the length of every number literal. A single pass over the bytes, no
 * allocation; it does not validate the JSON otherwise (the parser does).
 */
final class JsonScan {
  private JsonScan() {}

  /**
   * Checks {@code json}.
   *
   * @throws IllegalArgumentException naming the limit and the offset where it was exceeded
   */
  static void check(byte[] json, int maxDepth, int maxNumberChars) {
    int depth = 0;
    int number = 0;
    boolean inString = false;
    boolean escaped = false;
    for (int i = 0; i < json.length; i++) {
      byte b = json[i];
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (b == '\\') {
          escaped = true;
        } else if (b == '"') {
          inString = false;
        }
        continue;
      }
      if ((b >= '0' && b <= '9') || b == '-' || b == '+' || b == '.' || b == 'e' || b == 'E') {
        if (++number > maxNumberChars) {
          throw new IllegalArgumentException("JSON number at byte " + (i - number + 1)
              + " is longer than max " + maxNumberChars + " characters");
        }
        continue;
      }
      number = 0;
      if (b == '"') {
        inString = true;
      } else if (b == '{' || b == '[') {
        if (++depth > maxDepth) {
          throw new IllegalArgumentException("JSON nesting depth exceeds max " + maxDepth + " at byte " + i);
        }
      } else if (b == '}' || b == ']') {
        depth--;
      }
    }
  }
}

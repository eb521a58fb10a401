package io.mcp.grpc.gateway;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One HTTP binding of a gRPC method, read from its {@code google.api.http} option, and the
 * transcoding of an HTTP request into the method's request message.
 *
 * <p>Supported rule subset: GET, PUT, POST, DELETE and PATCH; a template of literal segments and
 * single-segment variables ({@code {field}} or {@code {field=*}}, a top-level scalar field); body
 * {@code "*"} (the whole message as JSON) or none. Every request field not bound by the path or the
 * body may come from a query parameter (proto or JSON name, dotted for nested messages, repeated
 * for repeated fields). A non-JSON body on a {@code "*"} rule is the raw value of the message's
 * only {@code bytes} field. Immutable and thread-safe.
 */
final class Route {
  /** Query parameters the gateway itself reads; no request field may use these names. */
  static final String TIMEOUT_PARAM = "timeout";

  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  final String httpMethod;
  final String template;
  final List<String> segments;
  final String body;
  final MethodDescriptor<Message, Message> method;
  final Message prototype;
  final boolean streaming;

  private Route(String httpMethod, String template, String body, MethodDescriptor<Message, Message> method,
      Message prototype) {
    this.httpMethod = httpMethod;
    this.template = template;
    this.body = body;
    this.method = method;
    this.prototype = prototype;
    this.streaming = method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING;
    if (!template.startsWith("/")) {
      throw new IllegalStateException(where() + ": template must start with /");
    }
    List<String> parts = new ArrayList<>();
    for (String part : template.substring(1).split("/", -1)) {
      if (part.startsWith("{")) {
        if (!part.endsWith("}")) {
          throw new IllegalStateException(where() + ": unsupported segment " + part);
        }
        String name = part.substring(1, part.length() - 1);
        if (name.endsWith("=*")) {
          name = name.substring(0, name.length() - 2);
        }
        FieldDescriptor field = prototype.getDescriptorForType().findFieldByName(name);
        if (field == null || field.isRepeated() || field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
          throw new IllegalStateException(where() + ": variable " + name + " is not a scalar field of "
              + prototype.getDescriptorForType().getFullName());
        }
        parts.add("{" + name);
      } else if (part.isEmpty() || part.contains("{") || part.contains("*") || part.contains(":")) {
        throw new IllegalStateException(where() + ": unsupported segment '" + part + "'");
      } else {
        parts.add(part);
      }
    }
    this.segments = List.copyOf(parts);
    if (!body.isEmpty() && !body.equals("*")) {
      throw new IllegalStateException(where() + ": body '" + body + "' unsupported (only \"*\" or none)");
    }
  }

  private String where() {
    return method.getFullMethodName() + " " + httpMethod + " " + template;
  }

  /** Every HTTP binding of the methods of {@code service}, in declaration order. */
  @SuppressWarnings("unchecked")
  static List<Route> of(ServiceDescriptor service) {
    List<Route> routes = new ArrayList<>();
    for (MethodDescriptor<?, ?> m : service.getMethods()) {
      if (!(m.getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier)) {
        continue;
      }
      Descriptors.MethodDescriptor proto = ((ProtoMethodDescriptorSupplier) m.getSchemaDescriptor()).getMethodDescriptor();
      if (!proto.getOptions().hasExtension(AnnotationsProto.http)) {
        continue;
      }
      if (proto.isClientStreaming()) {
        throw new IllegalStateException(m.getFullMethodName() + ": a client-streaming method has no HTTP binding");
      }
      MethodDescriptor<Message, Message> method = (MethodDescriptor<Message, Message>) (MethodDescriptor<?, ?>) m;
      Message prototype = ((MethodDescriptor.PrototypeMarshaller<Message>) method.getRequestMarshaller())
          .getMessagePrototype();
      HttpRule rule = proto.getOptions().getExtension(AnnotationsProto.http);
      List<HttpRule> rules = new ArrayList<>();
      rules.add(rule);
      rules.addAll(rule.getAdditionalBindingsList());
      for (HttpRule r : rules) {
        String verb;
        String template;
        switch (r.getPatternCase()) {
          case GET: verb = "GET"; template = r.getGet(); break;
          case PUT: verb = "PUT"; template = r.getPut(); break;
          case POST: verb = "POST"; template = r.getPost(); break;
          case DELETE: verb = "DELETE"; template = r.getDelete(); break;
          case PATCH: verb = "PATCH"; template = r.getPatch(); break;
          default:
            throw new IllegalStateException(m.getFullMethodName() + ": unsupported HTTP rule " + r.getPatternCase());
        }
        routes.add(new Route(verb, template, r.getBody(), method, prototype));
      }
    }
    return List.copyOf(routes);
  }

  /** The path variables if {@code path} (raw, percent-encoded segments) fits the template, else null. */
  Map<String, String> match(List<String> path) {
    if (path.size() != segments.size()) {
      return null;
    }
    Map<String, String> variables = new LinkedHashMap<>();
    for (int i = 0; i < segments.size(); i++) {
      String segment = segments.get(i);
      if (segment.startsWith("{")) {
        if (path.get(i).isEmpty()) {
          return null;
        }
        variables.put(segment.substring(1), path.get(i));
      } else if (!segment.equals(path.get(i))) {
        return null;
      }
    }
    return variables;
  }

  /**
   * Builds the request message.
   *
   * @param variables decoded path variables
   * @param query decoded query parameters, without the gateway's own
   * @param contentType the request's Content-Type, or null
   * @throws BadRequest naming the offending field, parameter or limit
   */
  Message request(Map<String, String> variables, Map<String, List<String>> query, String contentType, byte[] content,
      int maxJsonDepth, int maxJsonNumberChars) {
    Message.Builder builder = prototype.newBuilderForType();
    if (content.length > 0) {
      if (body.isEmpty()) {
        throw new BadRequest(400, httpMethod + " " + template + " takes no request body (got " + content.length + " bytes)");
      }
      if (isJson(contentType)) {
        JsonScan.check(content, maxJsonDepth, maxJsonNumberChars);
        String json;
        try {
          json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
        } catch (CharacterCodingException e) {
          throw new BadRequest(400, "request body is not valid UTF-8");
        }
        try {
          PARSER.merge(json, builder);
        } catch (InvalidProtocolBufferException e) {
          throw new BadRequest(400, "invalid JSON body: " + e.getMessage());
        } catch (RuntimeException e) {
          throw new BadRequest(400, "invalid JSON body: " + e.getMessage());
        }
      } else {
        FieldDescriptor raw = onlyBytesField();
        if (raw == null) {
          throw new BadRequest(415, "Content-Type " + contentType + " not accepted by " + httpMethod + " " + template
              + "; send application/json");
        }
        builder.setField(raw, ByteString.copyFrom(content));
      }
    }
    for (Map.Entry<String, String> variable : variables.entrySet()) {
      FieldDescriptor field = prototype.getDescriptorForType().findFieldByName(variable.getKey());
      Object value = convert(field, variable.getValue(), "path variable " + variable.getKey());
      if (builder.hasField(field) && !builder.getField(field).equals(value)) {
        throw new BadRequest(400, field.getName() + " in the body (" + builder.getField(field)
            + ") differs from the path (" + variable.getValue() + ")");
      }
      builder.setField(field, value);
    }
    for (Map.Entry<String, List<String>> param : query.entrySet()) {
      setFromQuery(builder, param.getKey(), param.getValue(), variables.keySet());
    }
    return builder.build();
  }

  private void setFromQuery(Message.Builder root, String name, List<String> values, java.util.Set<String> bound) {
    String[] path = name.split("\\.", -1);
    Message.Builder builder = root;
    for (int i = 0; i < path.length; i++) {
      FieldDescriptor field = find(builder.getDescriptorForType(), path[i]);
      if (field == null || field.isMapField() || (i == 0 && bound.contains(field.getName()))) {
        throw new BadRequest(400, "unknown query parameter " + name + " for " + httpMethod + " " + template
            + " (accepted: " + queryFields() + ")");
      }
      if (i < path.length - 1) {
        if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE || field.isRepeated()) {
          throw new BadRequest(400, "query parameter " + name + ": " + path[i] + " is not a message field");
        }
        builder = builder.getFieldBuilder(field);
        continue;
      }
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        throw new BadRequest(400, "query parameter " + name + " names a message; name one of its fields");
      }
      if (field.isRepeated()) {
        for (String value : values) {
          builder.addRepeatedField(field, convert(field, value, "query parameter " + name));
        }
      } else {
        if (values.size() > 1) {
          throw new BadRequest(400, "query parameter " + name + " given " + values.size() + " times; it takes one value");
        }
        Object value = convert(field, values.get(0), "query parameter " + name);
        if (builder.hasField(field) && !builder.getField(field).equals(value)) {
          throw new BadRequest(400, "query parameter " + name + " (" + values.get(0) + ") differs from the body ("
              + builder.getField(field) + ")");
        }
        builder.setField(field, value);
      }
    }
  }

  private static FieldDescriptor find(Descriptors.Descriptor type, String name) {
    FieldDescriptor field = type.findFieldByName(name);
    if (field != null) {
      return field;
    }
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJsonName().equals(name)) {
        return f;
      }
    }
    return null;
  }

  /** The top-level fields a query parameter may set, for error messages. */
  String queryFields() {
    List<String> names = prototype.getDescriptorForType().getFields().stream()
        .filter(f -> !f.isMapField() && !segments.contains("{" + f.getName()))
        .map(FieldDescriptor::getName).collect(Collectors.toList());
    names.add(TIMEOUT_PARAM);
    return String.join(", ", names);
  }

  private FieldDescriptor onlyBytesField() {
    FieldDescriptor found = null;
    for (FieldDescriptor f : prototype.getDescriptorForType().getFields()) {
      if (f.getType() == FieldDescriptor.Type.BYTES && !f.isRepeated()) {
        if (found != null) {
          return null;
        }
        found = f;
      }
    }
    return found;
  }

  static boolean isJson(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return true;
    }
    String type = contentType.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
    return type.equals("application/json") || type.endsWith("+json");
  }

  private static Object convert(FieldDescriptor field, String text, String what) {
    try {
      switch (field.getType()) {
        case STRING:
          return text;
        case BOOL:
          if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
          }
          throw new NumberFormatException();
        case UINT64:
        case FIXED64:
          return Long.parseUnsignedLong(text);
        case INT64:
        case SINT64:
        case SFIXED64:
          return Long.parseLong(text);
        case UINT32:
        case FIXED32:
          return Integer.parseUnsignedInt(text);
        case INT32:
        case SINT32:
        case SFIXED32:
          return Integer.parseInt(text);
        case DOUBLE:
          return Double.parseDouble(text);
        case FLOAT:
          return Float.parseFloat(text);
        case BYTES:
          return ByteString.copyFrom(text.indexOf('-') >= 0 || text.indexOf('_') >= 0
              ? Base64.getUrlDecoder().decode(text) : Base64.getDecoder().decode(text));
        case ENUM:
          Descriptors.EnumValueDescriptor value = field.getEnumType().findValueByName(text);
          if (value == null) {
            value = field.getEnumType().findValueByNumber(Integer.parseInt(text));
          }
          if (value == null) {
            throw new NumberFormatException();
          }
          return value;
        default:
          throw new BadRequest(400, what + ": type " + field.getType() + " cannot come from a string");
      }
    } catch (IllegalArgumentException e) {
      throw new BadRequest(400, what + ": '" + text + "' is not a valid " + field.getType().name().toLowerCase(
          java.util.Locale.ROOT) + (field.getType() == FieldDescriptor.Type.ENUM
          ? " (one of " + field.getEnumType().getValues().stream().map(Descriptors.EnumValueDescriptor::getName)
              .collect(Collectors.joining(", ")) + ")" : ""));
    }
  }

  /** A request the gateway refuses before calling the service; the message names what is wrong. */
  static final class BadRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int httpStatus;

    BadRequest(int httpStatus, String message) {
      super(message, null, false, false);
      this.httpStatus = httpStatus;
    }
  }
}

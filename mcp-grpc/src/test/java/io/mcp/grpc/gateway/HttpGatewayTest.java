package io.mcp.grpc.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.mcp.grpc.proto.ConfigResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every unary endpoint, auth and error mapping, through the JDK HTTP client on loopback. */
class HttpGatewayTest {
  GatewayFixture fixture;
  HttpClient http;

  @BeforeEach
  void start() {
    fixture = new GatewayFixture(b -> b);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() throws Exception {
    fixture.close();
  }

  HttpResponse<String> send(String method, String path, String token, String contentType, String body)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fixture.base() + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> admin(String method, String path, String body) throws Exception {
    return send(method, path, "admin-token", body == null ? null : "application/json", body);
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void putGetVersionsRollback_roundTripAsProto3Json() throws Exception {
    HttpResponse<String> put = admin("PUT", "/v1/services/payments/config", "{\"configData\":\"" + b64("one") + "\"}");
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(put.headers().firstValue("content-type")).hasValue("application/json; charset=utf-8");
    assertThat(put.body()).contains("\"version\": \"1\"").contains("\"replayed\": false");
    // proto field names are accepted too
    assertThat(admin("PUT", "/v1/services/payments/config", "{\"config_data\":\"" + b64("two") + "\"}").body())
        .contains("\"version\": \"2\"");

    HttpResponse<String> latest = admin("GET", "/v1/services/payments/config", null);
    assertThat(latest.statusCode()).isEqualTo(200);
    assertThat(latest.body()).contains("\"serviceName\": \"payments\"").contains("\"version\": \"2\"")
        .contains("\"configData\": \"" + b64("two") + "\"");
    assertThat(admin("GET", "/v1/services/payments/config?version=1", null).body())
        .contains("\"configData\": \"" + b64("one") + "\"");

    HttpResponse<String> back = admin("POST", "/v1/services/payments/rollback", "{\"toVersion\":\"1\"}");
    assertThat(back.statusCode()).isEqualTo(200);
    assertThat(back.body()).contains("\"version\": \"3\"");
    assertThat(StandardCharsets.UTF_8.decode(fixture.controller.config("payments").orElseThrow().data()).toString())
        .isEqualTo("one");

    HttpResponse<String> versions = admin("GET", "/v1/services/payments/versions?limit=2", null);
    assertThat(versions.statusCode()).isEqualTo(200);
    assertThat(versions.body()).contains("\"version\": \"3\"").contains("\"version\": \"2\"")
        .doesNotContain("\"version\": \"1\"").doesNotContain(b64("one"));
    assertThat(admin("GET", "/v1/services/payments/versions?include_data=true", null).body()).contains(b64("one"));
  }

  @Test
  void putConfig_rawBodyWithNonJsonContentType_isTheConfigBytes() throws Exception {
    HttpResponse<String> put = send("PUT", "/v1/services/payments/config?request_id=r1", "admin-token",
        "application/octet-stream", "limit={5}");
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(StandardCharsets.UTF_8.decode(fixture.controller.config("payments").orElseThrow().data()).toString())
        .isEqualTo("limit={5}");
    // the request_id from the query makes a retry idempotent
    assertThat(send("PUT", "/v1/services/payments/config?request_id=r1", "admin-token", "text/plain", "limit={5}")
        .body()).contains("\"replayed\": true");
    assertThat(fixture.controller.history("payments", 10)).hasSize(1);
  }

  @Test
  void nodes_listedAndFilteredByService() throws Exception {
    fixture.agent("node-a", "payments", false);
    fixture.agent("node-b", "search", true);
    fixture.awaitConnected(2);

    HttpResponse<String> all = admin("GET", "/v1/nodes", null);
    assertThat(all.statusCode()).isEqualTo(200);
    assertThat(all.body()).contains("\"nodeId\": \"node-a\"").contains("\"nodeId\": \"node-b\"")
        .contains("\"transport\": \"grpc\"").contains("\"transport\": \"tcp\"");
    HttpResponse<String> payments = admin("GET", "/v1/nodes?service_name=payments", null);
    assertThat(payments.body()).contains("node-a").doesNotContain("node-b");
    assertThat(admin("GET", "/v1/nodes?serviceName=search", null).body()).contains("node-b").doesNotContain("node-a");
  }

  @Test
  void credentials_missingInvalidOrNotAdmin_401Or403WithJson() throws Exception {
    HttpResponse<String> none = send("GET", "/v1/nodes", null, null, null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).isEqualTo("{\"code\":\"UNAUTHENTICATED\",\"message\":\"missing bearer token\"}");
    HttpResponse<String> wrong = send("GET", "/v1/nodes", "guess", null, null);
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("invalid token");
    HttpResponse<String> agent = send("PUT", "/v1/services/payments/config", "agent-token", "application/json",
        "{\"configData\":\"" + b64("x") + "\"}");
    assertThat(agent.statusCode()).isEqualTo(403);
    assertThat(agent.body()).isEqualTo("{\"code\":\"PERMISSION_DENIED\",\"message\":"
        + "\"identity agent lacks role admin for ApplyConfiguration\"}");
    assertThat(send("GET", "/v1/nodes", "agent-token", null, null).statusCode()).isEqualTo(200);
    assertThat(fixture.controller.history("payments", 10)).isEmpty();
  }

  @Test
  void badInput_clearJsonErrors() throws Exception {
    HttpResponse<String> unknownField = admin("PUT", "/v1/services/payments/config", "{\"configData\":\"eA==\",\"colour\":1}");
    assertThat(unknownField.statusCode()).isEqualTo(400);
    assertThat(unknownField.body()).startsWith("{\"code\":\"INVALID_ARGUMENT\"").contains("colour");

    HttpResponse<String> notJson = admin("PUT", "/v1/services/payments/config", "{\"configData\":");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(notJson.body()).contains("invalid JSON body");

    HttpResponse<String> deep = admin("POST", "/v1/services/payments/rollback", "[".repeat(33) + "]".repeat(33));
    assertThat(deep.statusCode()).isEqualTo(400);
    assertThat(deep.body()).contains("JSON nesting depth exceeds max 32");

    HttpResponse<String> longNumber = admin("POST", "/v1/services/payments/rollback", "{\"toVersion\":" + "9".repeat(41) + "}");
    assertThat(longNumber.statusCode()).isEqualTo(400);
    assertThat(longNumber.body()).contains("longer than max 40 characters");

    HttpResponse<String> badQuery = admin("GET", "/v1/services/payments/config?version=abc", null);
    assertThat(badQuery.statusCode()).isEqualTo(400);
    assertThat(badQuery.body()).contains("query parameter version: 'abc' is not a valid uint64");

    HttpResponse<String> unknownParam = admin("GET", "/v1/nodes?service=payments", null);
    assertThat(unknownParam.statusCode()).isEqualTo(400);
    assertThat(unknownParam.body()).contains("unknown query parameter service").contains("service_name");

    HttpResponse<String> conflict = admin("PUT", "/v1/services/payments/config",
        "{\"serviceName\":\"search\",\"configData\":\"eA==\"}");
    assertThat(conflict.statusCode()).isEqualTo(400);
    assertThat(conflict.body()).contains("service_name in the body (search) differs from the path (payments)");

    HttpResponse<String> validation = admin("PUT", "/v1/services/payments/config",
        "{\"configData\":\"eA==\",\"wait\":{\"kind\":\"PERCENT\",\"percent\":150}}");
    assertThat(validation.statusCode()).isEqualTo(400);
    assertThat(validation.body()).isEqualTo("{\"code\":\"INVALID_ARGUMENT\",\"message\":\"wait.percent 150 outside 1..100\"}");

    HttpResponse<String> missing = admin("GET", "/v1/services/payments/config?version=9", null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("NOT_FOUND");

    HttpResponse<String> bodyOnGet = send("GET", "/v1/nodes", "admin-token", "application/json", "{}");
    assertThat(bodyOnGet.statusCode()).isEqualTo(400);
    assertThat(bodyOnGet.body()).contains("takes no request body");
    assertThat(fixture.controller.history("payments", 10)).isEmpty();
  }

  @Test
  void routing_unknownPath404_wrongMethod405WithAllow() throws Exception {
    HttpResponse<String> unknown = admin("GET", "/v1/nothing", null);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).isEqualTo("{\"code\":\"NOT_FOUND\",\"message\":\"no route for GET /v1/nothing\"}");
    HttpResponse<String> wrongMethod = admin("DELETE", "/v1/services/payments/config", null);
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.headers().firstValue("allow")).hasValue("PUT, GET");
    assertThat(wrongMethod.body()).contains("METHOD_NOT_ALLOWED");
  }

  @Test
  void deadlines_requestedTimeoutApplies_malformedRefused() throws Exception {
    HttpResponse<String> expired = http.send(HttpRequest.newBuilder(URI.create(fixture.base() + "/v1/nodes"))
        .header("Authorization", "Bearer admin-token").header("grpc-timeout", "1n").build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(expired.statusCode()).isEqualTo(504);
    assertThat(expired.body()).startsWith("{\"code\":\"DEADLINE_EXCEEDED\"");
    HttpResponse<String> generous = admin("GET", "/v1/nodes?timeout=5s", null);
    assertThat(generous.statusCode()).isEqualTo(200);
    HttpResponse<String> malformed = admin("GET", "/v1/nodes?timeout=soon", null);
    assertThat(malformed.statusCode()).isEqualTo(400);
    assertThat(malformed.body()).contains("timeout 'soon' is not digits and a unit ms, s or m");
  }

  @Test
  void applyThroughGateway_visibleThroughGrpc() throws Exception {
    admin("PUT", "/v1/services/payments/config", "{\"configData\":\"" + b64("v") + "\",\"requestId\":\"abc\"}");
    ConfigResponse again = fixture.client("admin-token").blocking().applyConfiguration(
        io.mcp.grpc.proto.ConfigRequest.newBuilder().setServiceName("payments")
            .setConfigData(com.google.protobuf.ByteString.copyFromUtf8("v")).setRequestId("abc").build());
    assertThat(again.getReplayed()).isTrue();
    assertThat(again.getVersion()).isEqualTo(1);
  }

  @Test
  void console_servedOfflineWithStrictPolicy() throws Exception {
    HttpResponse<String> root = send("GET", "/", null, null, null);
    assertThat(root.statusCode()).isEqualTo(302);
    assertThat(root.headers().firstValue("location")).hasValue("/console/");
    HttpResponse<String> page = send("GET", "/console/", null, null, null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(page.headers().firstValue("content-security-policy").orElseThrow()).contains("default-src 'none'");
    assertThat(page.body()).contains("<script src=\"console.js\"").doesNotContain("http://").doesNotContain("https://");
    for (String resource : new String[] {"console.js", "console.css"}) {
      HttpResponse<String> r = send("GET", "/console/" + resource, null, null, null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isNotEmpty().doesNotContain("http://").doesNotContain("https://");
    }
    assertThat(send("GET", "/console/missing.js", null, null, null).statusCode()).isEqualTo(404);
    assertThat(send("POST", "/console/index.html", null, null, "").statusCode()).isEqualTo(405);
  }
}

package io.mcp.grpc.gateway;

import io.grpc.Status;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The one mapping from a gRPC status code to the HTTP status the gateway answers with.
 *
 * <pre>
 * Status.Code           HTTP
 * OK                    200
 * INVALID_ARGUMENT      400
 * FAILED_PRECONDITION   400
 * OUT_OF_RANGE          400
 * UNAUTHENTICATED       401
 * PERMISSION_DENIED     403
 * NOT_FOUND             404
 * ALREADY_EXISTS        409
 * ABORTED               409
 * RESOURCE_EXHAUSTED    429
 * CANCELLED             499 (client closed request)
 * UNIMPLEMENTED         501
 * UNAVAILABLE           503
 * DEADLINE_EXCEEDED     504
 * UNKNOWN, INTERNAL,
 * DATA_LOSS             500
 * </pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class HttpStatusMapping {
  static final HttpResponseStatus CLIENT_CLOSED_REQUEST = new HttpResponseStatus(499, "Client Closed Request");

  private HttpStatusMapping() {}

  /** The HTTP status code for a gRPC status code. */
  public static int toHttp(Status.Code code) {
    return toResponseStatus(code).code();
  }

  static HttpResponseStatus toResponseStatus(Status.Code code) {
    switch (code) {
      case OK:
        return HttpResponseStatus.OK;
      case INVALID_ARGUMENT:
      case FAILED_PRECONDITION:
      case OUT_OF_RANGE:
        return HttpResponseStatus.BAD_REQUEST;
      case UNAUTHENTICATED:
        return HttpResponseStatus.UNAUTHORIZED;
      case PERMISSION_DENIED:
        return HttpResponseStatus.FORBIDDEN;
      case NOT_FOUND:
        return HttpResponseStatus.NOT_FOUND;
      case ALREADY_EXISTS:
      case ABORTED:
        return HttpResponseStatus.CONFLICT;
      case RESOURCE_EXHAUSTED:
        return HttpResponseStatus.TOO_MANY_REQUESTS;
      case CANCELLED:
        return CLIENT_CLOSED_REQUEST;
      case UNIMPLEMENTED:
        return HttpResponseStatus.NOT_IMPLEMENTED;
      case UNAVAILABLE:
        return HttpResponseStatus.SERVICE_UNAVAILABLE;
      case DEADLINE_EXCEEDED:
        return HttpResponseStatus.GATEWAY_TIMEOUT;
      default:
        return HttpResponseStatus.INTERNAL_SERVER_ERROR;
    }
  }
}

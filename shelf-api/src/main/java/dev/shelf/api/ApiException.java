package dev.shelf.api;

import org.jspecify.annotations.Nullable;

/**
 * An error that reaches the client as OpenAI error JSON: {@code {"error": {"message", "type",
 * "param", "code"}}} with an HTTP status. Everything the server answers with a non-2xx status goes
 * through this type, so the mapping from failure to status lives in one place per direction.
 */
public class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;
  private final @Nullable String param;
  private final @Nullable String code;
  private final @Nullable Long retryAfterSeconds;

  public ApiException(
      int status,
      String type,
      @Nullable String code,
      @Nullable String param,
      String message,
      @Nullable Long retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiException invalid(@Nullable String param, String message) {
    return new ApiException(400, "invalid_request_error", null, param, message, null);
  }

  public static ApiException invalid(@Nullable String param, String code, String message) {
    return new ApiException(400, "invalid_request_error", code, param, message, null);
  }

  public static ApiException unauthorized(String message) {
    return new ApiException(401, "invalid_request_error", "invalid_api_key", null, message, null);
  }

  public static ApiException forbidden(String code, String message) {
    return new ApiException(403, "permission_error", code, null, message, null);
  }

  public static ApiException notFound(String code, String message) {
    return new ApiException(404, "invalid_request_error", code, null, message, null);
  }

  public static ApiException modelNotFound(String model) {
    return new ApiException(
        404,
        "invalid_request_error",
        "model_not_found",
        "model",
        "The model `" + model + "` does not exist or you do not have access to it.",
        null);
  }

  public static ApiException tooLarge(long limit) {
    return new ApiException(
        413,
        "invalid_request_error",
        "request_too_large",
        null,
        "Request body is larger than the limit of " + limit + " bytes.",
        null);
  }

  public static ApiException rateLimited(String code, String message, long retryAfterSeconds) {
    return new ApiException(429, "rate_limit_error", code, null, message, retryAfterSeconds);
  }

  /** A budget or prepaid balance is spent: 429 with OpenAI's {@code insufficient_quota}. */
  public static ApiException quotaExceeded(String message, @Nullable Long retryAfterSeconds) {
    return new ApiException(
        429, "insufficient_quota", "insufficient_quota", null, message, retryAfterSeconds);
  }

  public static ApiException unavailable(String code, String message, @Nullable Long retryAfter) {
    return new ApiException(503, "server_error", code, null, message, retryAfter);
  }

  public static ApiException internal(String message) {
    return new ApiException(500, "server_error", "internal_error", null, message, null);
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public @Nullable String param() {
    return param;
  }

  public @Nullable String code() {
    return code;
  }

  public @Nullable Long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}

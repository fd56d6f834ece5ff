package dev.shelf.server;

import dev.shelf.api.ApiException;
import dev.shelf.api.ErrorCodec;
import dev.shelf.gateway.Exchange;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/** Small HTTP helpers shared by the handlers. */
final class Http {
  private static final io.helidon.http.HeaderName REQUEST_ID = HeaderNames.create("x-request-id");
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");

  private Http() {}

  /** The client's own x-request-id when it is sane, else a fresh one. */
  static String requestId(ServerRequest req) {
    String given = req.headers().first(REQUEST_ID).orElse(null);
    if (given != null && SAFE_ID.matcher(given).matches()) {
      return given;
    }
    byte[] b = new byte[12];
    ThreadLocalRandom.current().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** Reads the body, refusing more than {@code limit} bytes with a 413. */
  static byte[] body(ServerRequest req, long limit) {
    long declared = req.headers().contentLength().orElse(-1);
    if (declared > limit) {
      throw ApiException.tooLarge(limit);
    }
    try (InputStream in = req.content().inputStream()) {
      if (declared >= 0) {
        // The usual case: exactly the declared bytes, into an array of exactly that size.
        byte[] bytes = new byte[(int) declared];
        int n = in.readNBytes(bytes, 0, bytes.length);
        if (n < bytes.length) {
          throw ApiException.invalid(null, "The request body ended before its Content-Length.");
        }
        return bytes;
      }
      var out = new java.io.ByteArrayOutputStream(8192);
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        if (out.size() + n > limit) {
          throw ApiException.tooLarge(limit);
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void shelfHeaders(ServerResponse res, Exchange ex) {
    if (ex.deployment() != null) {
      res.header("x-shelf-deployment", ex.deployment());
    }
    res.header("x-shelf-attempts", Integer.toString(ex.attempts()));
    if (ex.fallbacks() > 0) {
      res.header("x-shelf-fallbacks", Integer.toString(ex.fallbacks()));
    }
  }

  static void json(ServerResponse res, int status, byte[] body) {
    res.status(status);
    res.header("content-type", "application/json");
    res.send(body);
  }

  static void error(ServerResponse res, ApiException e) {
    if (e.retryAfterSeconds() != null) {
      res.header("retry-after", Long.toString(e.retryAfterSeconds()));
    }
    json(res, e.status(), ErrorCodec.write(e));
  }
}

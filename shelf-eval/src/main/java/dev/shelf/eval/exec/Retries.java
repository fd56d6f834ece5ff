package dev.shelf.eval.exec;

import dev.shelf.eval.run.Response;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.function.Supplier;

/**
 * When the HTTP answerers call again: a refused or reset connection, or a 502, 503 or 504 (a server
 * or gateway that could not answer for the moment: restarting, draining, its upstream down), is
 * tried again after {@code Retry-After} (up to {@value #MAX_RETRY_AFTER_MILLIS} ms) or a backoff
 * from {@value #BACKOFF_MILLIS} ms, {@value #ATTEMPTS} calls an item at most, so that a moment's
 * outage does not count an item wrong. A timeout, an answer that began and broke off, or any other
 * status is not: the model was asked, or the caller must change something (a 429 says the run's
 * concurrency is above the key's limits, and its items are reported as errors rather than slowed
 * down unseen). An item that still fails keeps the last error, with the number of calls.
 */
final class Retries {
  static final int ATTEMPTS = 3;

  static final long BACKOFF_MILLIS = 250;

  static final long MAX_RETRY_AFTER_MILLIS = 10_000;

  private Retries() {}

  /** One call's response, and when to try again: -1 for not at all, 0 for the backoff. */
  record Attempt(Response response, long retryAfterMillis) {
    static Attempt done(Response response) {
      return new Attempt(response, -1);
    }
  }

  /** Calls {@code call} until its attempt says not to try again, or {@value #ATTEMPTS} times. */
  static Response run(Supplier<Attempt> call) {
    for (int attempt = 1; ; attempt++) {
      Attempt a = call.get();
      if (a.retryAfterMillis() < 0 || attempt == ATTEMPTS) {
        Response r = a.response();
        return attempt == 1 || r.error() == null
            ? r
            : Response.failed(r.error() + " (" + attempt + " attempts)", r.measurement());
      }
      try {
        Thread.sleep(
            a.retryAfterMillis() > 0 ? a.retryAfterMillis() : BACKOFF_MILLIS << (attempt - 1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Response.failed("interrupted", a.response().measurement());
      }
    }
  }

  /** A failed status's wait before the next call: -1 when it is not tried again. */
  static long afterStatus(HttpResponse<?> res) {
    int status = res.statusCode();
    if (status != 502 && status != 503 && status != 504) {
      return -1;
    }
    try {
      long seconds = Long.parseLong(res.headers().firstValue("retry-after").orElse("0").trim());
      return Math.clamp(seconds, 0, MAX_RETRY_AFTER_MILLIS / 1000) * 1000;
    } catch (NumberFormatException e) {
      return 0; // an HTTP date: the backoff instead
    }
  }

  /** A failed call's wait before the next: the backoff, or -1 for a timeout. */
  static long afterFailure(IOException e) {
    return e instanceof HttpTimeoutException ? -1 : 0;
  }

  /** What a failed call (or judging) says: its message, or its class when it has none. */
  static String why(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}

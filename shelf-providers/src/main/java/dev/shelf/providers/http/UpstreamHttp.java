package dev.shelf.providers.http;

import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The HTTP side of an upstream API, shared by the adapters: one pooled {@link Http1Client} per
 * provider, blocking calls on the caller's virtual thread (so a {@link Call} abort interrupts
 * them), failures to connect mapped to {@link Kind#CONNECT}, and non-2xx answers handed, with a
 * bounded part of their body, to the adapter's {@link ErrorMapper}.
 */
public final class UpstreamHttp implements AutoCloseable {
  private static final Duration FINISH_WAIT = Duration.ofMillis(250);

  /** How much of an error answer's body is read for the {@link ErrorMapper}. */
  public static final int MAX_ERROR_BODY = 64 * 1024;

  /** Maps a non-2xx answer to the exception the caller gets: the vendor's part of the contract. */
  @FunctionalInterface
  public interface ErrorMapper {
    /**
     * @param body the start of the answer's body, at most {@link #MAX_ERROR_BODY} bytes; empty when
     *     it could not be read
     */
    ProviderException map(String provider, int status, Headers headers, byte[] body);
  }

  private final String provider;
  private final String basePath;
  private final String query;
  private final Map<String, String> headers;
  private final ErrorMapper errors;
  private final Http1Client client;

  /**
   * @param baseUrl the API root; its path prefixes every request path, its query (if any) is
   *     appended to every request target
   * @param headers auth and any configured headers, sent on every request
   * @throws IllegalArgumentException when {@code baseUrl} is not an http(s) URL with a host
   */
  public UpstreamHttp(
      String provider,
      String baseUrl,
      Map<String, String> headers,
      Duration connectTimeout,
      ErrorMapper errors) {
    this.provider = provider;
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    URI uri;
    try {
      uri = URI.create(base);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("base_url is not a URL: " + baseUrl, e);
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    this.query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    this.headers = Map.copyOf(headers);
    this.errors = errors;
    this.client = new Http1Client(uri, connectTimeout);
  }

  /** The base URL's path without a trailing slash: {@code /v1}, or "" for a bare origin. */
  public String basePath() {
    return basePath;
  }

  /** The request target for {@code path}: the base path, then {@code path}, then the query. */
  public String target(String path) {
    return basePath + path + query;
  }

  /** How many connections this upstream has opened (pool effectiveness, for tests). */
  public int connectionsOpened() {
    return client.connectionsOpened();
  }

  /** A response whose status was 2xx; closing it keeps or drops the connection as it must. */
  public record Opened(Http1Client.Response response) implements AutoCloseable {
    public InputStream body() {
      return response.body();
    }

    public String contentType() {
      return response.header("content-type");
    }

    /**
     * The answer is complete: reads the rest of the body (its terminating chunk) if it comes within
     * 250 ms, so the connection is kept. Cancellation paths just close.
     */
    public void finish() {
      response.finish(FINISH_WAIT);
    }

    @Override
    public void close() {
      response.close();
    }
  }

  /**
   * Posts JSON to {@link #target(String) target(path)} and returns the answer once its head has
   * arrived, if its status is 2xx.
   *
   * @param streaming whether to ask for an event stream rather than JSON
   * @throws ProviderException {@link Kind#CONNECT} when no answer came, the call's abort when it
   *     was aborted, or the {@link ErrorMapper}'s exception for a non-2xx answer
   */
  public Opened post(String path, byte[] json, Call call, boolean streaming) {
    var h = new LinkedHashMap<String, String>();
    h.put("Content-Type", "application/json");
    h.put("Accept", streaming ? "text/event-stream" : "application/json");
    h.put("X-Request-Id", call.requestId());
    h.putAll(headers);
    Http1Client.Response response;
    try {
      response = client.send("POST", target(path), h, json);
    } catch (ConnectException | UnknownHostException e) {
      throw aborted(call)
          ? call.aborted(e, provider + " request")
          : new ProviderException(Kind.CONNECT, "could not connect to " + provider, e);
    } catch (SocketTimeoutException e) {
      throw aborted(call)
          ? call.aborted(e, provider + " request")
          : new ProviderException(Kind.CONNECT, "connecting to " + provider + " timed out", e);
    } catch (IOException e) {
      throw aborted(call)
          ? call.aborted(e, provider + " request")
          : new ProviderException(
              Kind.CONNECT, "connection to " + provider + " failed before an answer", e);
    }
    int status = response.status();
    if (status / 100 != 2) {
      byte[] bytes;
      try {
        bytes = response.body().readNBytes(MAX_ERROR_BODY);
      } catch (IOException e) {
        bytes = new byte[0];
      } finally {
        response.close();
      }
      throw errors.map(provider, status, response::header, bytes);
    }
    return new Opened(response);
  }

  private static boolean aborted(Call call) {
    return call.abortReason() != null || Thread.currentThread().isInterrupted();
  }

  /** Maps an I/O failure while reading a body that had begun. */
  public ProviderException readFailure(IOException e, Call call) {
    if (aborted(call)) {
      return call.aborted(e, provider + " stream");
    }
    return new ProviderException(
        Kind.BROKEN_STREAM, "the stream from " + provider + " broke off", e);
  }

  @Override
  public void close() {
    client.close(); // idle connections close now; those in use close when their calls end
  }
}

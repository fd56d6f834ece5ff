package dev.shelf.providers.openai.internal;

import dev.shelf.providers.http.Http1Client;
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
 * The HTTP side of an OpenAI-compatible upstream: one pooled {@link Http1Client} per provider,
 * blocking calls on the caller's virtual thread (so a {@link Call} abort interrupts them), non-2xx
 * answers mapped by {@link UpstreamErrors}.
 */
public final class HttpUpstream implements AutoCloseable {
  private static final int MAX_ERROR_BODY = 64 * 1024;

  private final String provider;
  private final String baseUrl;
  private final String basePath;
  private final String query;
  private final Map<String, String> headers;
  private final Http1Client client;

  public HttpUpstream(
      String provider, String baseUrl, Map<String, String> headers, Duration connectTimeout) {
    this.provider = provider;
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    URI uri;
    try {
      uri = URI.create(this.baseUrl);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("base_url is not a URL: " + baseUrl, e);
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    this.query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    this.headers = Map.copyOf(headers);
    this.client = new Http1Client(uri, connectTimeout);
  }

  public String baseUrl() {
    return baseUrl;
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

    @Override
    public void close() {
      response.close();
    }
  }

  public Opened post(String path, byte[] json, Call call, boolean streaming) {
    var h = new LinkedHashMap<String, String>();
    h.put("Content-Type", "application/json");
    h.put("Accept", streaming ? "text/event-stream" : "application/json");
    h.put("X-Request-Id", call.requestId());
    h.putAll(headers);
    Http1Client.Response response;
    try {
      response = client.send("POST", basePath + path + query, h, json);
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
      throw UpstreamErrors.fromStatus(provider, status, response::header, bytes);
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

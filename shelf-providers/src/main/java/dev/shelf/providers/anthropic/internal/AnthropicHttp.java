package dev.shelf.providers.anthropic.internal;

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
 * The HTTP side of the Anthropic API: one pooled {@link Http1Client} per provider, blocking calls
 * on the caller's virtual thread (so a {@link Call} abort interrupts them), non-2xx answers mapped
 * by {@link AnthropicErrors}. The same shape as the openai adapter's {@code HttpUpstream}, with
 * Anthropic's error mapping.
 */
public final class AnthropicHttp implements AutoCloseable {
  private static final int MAX_ERROR_BODY = 64 * 1024;

  private final String provider;
  private final String messagesPath;
  private final Map<String, String> headers;
  private final Http1Client client;

  /**
   * @param baseUrl the API root, {@code https://api.anthropic.com} (a root already ending in {@code
   *     /v1} is accepted too)
   * @param headers auth, version and any configured headers, sent on every request
   */
  public AnthropicHttp(
      String provider, String baseUrl, Map<String, String> headers, Duration connectTimeout) {
    this.provider = provider;
    String base = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    URI uri;
    try {
      uri = URI.create(base);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("base_url is not a URL: " + baseUrl, e);
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    this.messagesPath = (path.endsWith("/v1") ? path : path + "/v1") + "/messages" + query;
    this.headers = Map.copyOf(headers);
    this.client = new Http1Client(uri, connectTimeout);
  }

  /** The request target for the Messages API, e.g. {@code /v1/messages}. */
  public String messagesPath() {
    return messagesPath;
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

  /** Posts a Messages request that asks for a stream. */
  public Opened postMessages(byte[] json, Call call) {
    var h = new LinkedHashMap<String, String>();
    h.put("Content-Type", "application/json");
    h.put("Accept", "text/event-stream");
    h.put("X-Request-Id", call.requestId());
    h.putAll(headers);
    Http1Client.Response response;
    try {
      response = client.send("POST", messagesPath, h, json);
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
      throw AnthropicErrors.fromStatus(provider, status, response::header, bytes);
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
    client.close();
  }
}

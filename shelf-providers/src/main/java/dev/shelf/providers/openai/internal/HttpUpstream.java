package dev.shelf.providers.openai.internal;

import dev.shelf.providers.spi.Call;
import dev.shelf.providers.spi.ProviderException;
import dev.shelf.providers.spi.ProviderException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The HTTP side of an OpenAI-compatible upstream: one pooled JDK client per provider, blocking
 * calls on the caller's virtual thread (so a {@link Call} abort interrupts them), non-2xx answers
 * mapped by {@link UpstreamErrors}.
 */
public final class HttpUpstream implements AutoCloseable {
  private static final int MAX_ERROR_BODY = 64 * 1024;

  private final String provider;
  private final String baseUrl;
  private final Map<String, String> headers;
  private final HttpClient client;

  public HttpUpstream(
      String provider, String baseUrl, Map<String, String> headers, Duration connectTimeout) {
    this.provider = provider;
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.headers = Map.copyOf(headers);
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
  }

  public String baseUrl() {
    return baseUrl;
  }

  /** A response whose status was 2xx; closing it releases (or drops) the connection. */
  public record Opened(InputStream body, String contentType) implements AutoCloseable {
    @Override
    public void close() {
      try {
        body.close();
      } catch (IOException ignored) {
        // closing a half-read body drops the connection, which is what we want
      }
    }
  }

  public Opened post(String path, byte[] json, Call call, boolean streaming) {
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .POST(HttpRequest.BodyPublishers.ofByteArray(json))
            .header("content-type", "application/json")
            .header("accept", streaming ? "text/event-stream" : "application/json")
            .header("x-request-id", call.requestId());
    headers.forEach(rb::header);
    HttpResponse<InputStream> response;
    try {
      response = client.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      throw call.aborted(e, provider + " request");
    } catch (HttpConnectTimeoutException | ConnectException e) {
      throw new ProviderException(Kind.CONNECT, "could not connect to " + provider, e);
    } catch (HttpTimeoutException e) {
      throw new ProviderException(Kind.TIMEOUT, provider + " did not answer in time", e);
    } catch (IOException e) {
      if (call.abortReason() != null) {
        throw call.aborted(e, provider + " request");
      }
      throw new ProviderException(
          Kind.CONNECT, "connection to " + provider + " failed before an answer", e);
    }
    InputStream body = response.body();
    int status = response.statusCode();
    if (status / 100 != 2) {
      byte[] bytes;
      try (body) {
        bytes = body.readNBytes(MAX_ERROR_BODY);
      } catch (IOException e) {
        bytes = new byte[0];
      }
      throw UpstreamErrors.fromStatus(provider, status, response.headers(), bytes);
    }
    return new Opened(body, response.headers().firstValue("content-type").orElse(""));
  }

  /** Maps an I/O failure while reading a body that had begun. */
  public ProviderException readFailure(IOException e, Call call) {
    if (call.abortReason() != null || Thread.currentThread().isInterrupted()) {
      return call.aborted(e, provider + " stream");
    }
    return new ProviderException(
        Kind.BROKEN_STREAM, "the stream from " + provider + " broke off", e);
  }

  @Override
  public void close() {
    client.shutdown(); // in-flight calls finish; new ones are refused
  }
}

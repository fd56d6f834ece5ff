package dev.shelf.server;

import dev.shelf.api.ApiException;
import dev.shelf.api.ChatAggregator;
import dev.shelf.api.ChatChunk;
import dev.shelf.api.ChatCompletion;
import dev.shelf.api.ChatRequest;
import dev.shelf.api.Json;
import dev.shelf.api.Usage;
import dev.shelf.gateway.Gateway;
import dev.shelf.gateway.StreamBrokenException;
import dev.shelf.guard.policy.RequestTexts;
import dev.shelf.server.anthropic.MessagesOut;
import dev.shelf.server.anthropic.MessagesRequest;
import dev.shelf.server.anthropic.MessagesStream;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code POST /v1/messages} and {@code /v1/messages/count_tokens}: Anthropic's Messages API in
 * front of any shelf model, with the same keys, limits, routing and metering as {@code /v1}, and
 * Anthropic-style errors.
 */
final class MessagesEndpoint {
  private final ShelfServer server;
  private final Gateway gateway;
  private final long maxBody;

  MessagesEndpoint(ShelfServer server, Gateway gateway, long maxBody) {
    this.server = server;
    this.gateway = gateway;
    this.maxBody = maxBody;
  }

  static void error(ServerResponse res, ApiException e) {
    if (e.retryAfterSeconds() != null) {
      res.header("retry-after", Long.toString(e.retryAfterSeconds()));
    }
    Http.json(res, e.status(), MessagesOut.error(e));
  }

  void create(ServerRequest req, ServerResponse res) {
    server.serve(
        req,
        res,
        "messages",
        MessagesEndpoint::error,
        (ex, caller) -> {
          byte[] body = Http.body(req, maxBody);
          ChatRequest cr = MessagesRequest.read(Json.parse(body), false);
          ex.audit().input(cr);
          server.admit(ex, caller, cr.model(), body.length, cr.outputLimit());
          Guard.Check check = server.guard().check(ex, caller, RequestTexts.of(cr));
          ChatRequest sent = ShelfServer.guarded(cr, check);
          String id = "msg_" + ex.requestId();
          Usage promptOnly = Estimates.chat(cr, null);
          if (cr.stream()) {
            var stream =
                new MessagesStream(
                    res, id, promptOnly.promptTokens(), r -> Http.shelfHeaders(r, ex));
            var labeled = server.labels().streaming(ex, res, stream, LabelStream.CHAT, true);
            try {
              gateway.chat(ex, sent, check.chat(labeled));
              check.done(ex);
            } catch (StreamBrokenException e) {
              ex.fail(502, "stream_broken");
              stream.fail(
                  new ApiException(
                      502,
                      "server_error",
                      "upstream_error",
                      null,
                      "The upstream stream failed after it began: " + e.getMessage(),
                      null));
              return;
            } catch (ApiException e) {
              if (!stream.committed()) {
                throw e;
              }
              ex.fail(e.status(), e.code());
              stream.fail(e);
              return;
            }
            labeled.finish(
                stream,
                server.settle(
                    ex,
                    stream.usage(),
                    () -> Estimates.streamed(promptOnly, stream.relayedBytes())));
          } else {
            var collector = new Collector<ChatChunk, ChatAggregator>(ChatAggregator::new);
            var labeled = server.labels().collecting(ex, collector, LabelStream.CHAT, true);
            gateway.chat(ex, sent, check.chat(labeled));
            check.done(ex);
            ChatCompletion whole = collector.aggregate().result();
            Usage usage = server.settle(ex, whole.usage(), () -> Estimates.chat(cr, whole));
            String model = ex.servedModel() == null ? cr.model() : ex.servedModel();
            Http.shelfHeaders(res, ex);
            Http.json(
                res, 200, labeled.sealBody(res, MessagesOut.message(whole, id, model, usage)));
          }
        });
  }

  /**
   * Counts a request's input tokens. Remote vendors' tokenizers are not available here, so this is
   * Shelf's estimate (about four UTF-8 bytes a token, tool definitions included), the same one used
   * for usage that an upstream does not report.
   */
  void countTokens(ServerRequest req, ServerResponse res) {
    server.serve(
        req,
        res,
        "count_tokens",
        MessagesEndpoint::error,
        (ex, caller) -> {
          ChatRequest cr = MessagesRequest.read(Json.parse(Http.body(req, maxBody)), true);
          ShelfServer.authorize(caller, cr.model());
          ex.model(cr.model());
          if (gateway.shelf().route(cr.model()) == null) {
            throw ApiException.modelNotFound(cr.model());
          }
          long tools = 0;
          if (cr.tools() != null) {
            for (var t : cr.tools()) {
              tools +=
                  Estimates.utf8(t.name())
                      + Estimates.utf8(t.description())
                      + (t.parameters() == null ? 0 : Json.string(t.parameters()).length());
            }
          }
          long total = Estimates.chat(cr, null).promptTokens() + (tools + 3) / 4;
          Http.json(
              res,
              200,
              Json.write(
                  g -> {
                    g.writeStartObject();
                    g.writeNumberField("input_tokens", total);
                    g.writeEndObject();
                  }));
        });
  }
}

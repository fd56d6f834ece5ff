package dev.shelf.api;

/** Writes {@link ApiException}s as OpenAI error JSON. */
public final class ErrorCodec {
  private ErrorCodec() {}

  public static byte[] write(ApiException e) {
    return Json.write(
        g -> {
          g.writeStartObject();
          g.writeObjectFieldStart("error");
          g.writeStringField("message", e.getMessage());
          g.writeStringField("type", e.type());
          if (e.param() == null) {
            g.writeNullField("param");
          } else {
            g.writeStringField("param", e.param());
          }
          if (e.code() == null) {
            g.writeNullField("code");
          } else {
            g.writeStringField("code", e.code());
          }
          g.writeEndObject();
          g.writeEndObject();
        });
  }
}

package dev.shelf.eval.run;

import org.jspecify.annotations.Nullable;

/**
 * A model's answer to one prompt, or the error that prevented one (then {@code text} is null), with
 * the call's measurement when there was a call.
 */
public record Response(
    @Nullable String text, @Nullable Measurement measurement, @Nullable String error) {
  public Response {
    if ((text == null) == (error == null)) {
      throw new IllegalArgumentException(
          "a response has either text or an error, not both or none");
    }
  }

  public static Response of(String text, @Nullable Measurement measurement) {
    return new Response(text, measurement, null);
  }

  public static Response failed(String error, @Nullable Measurement measurement) {
    return new Response(null, measurement, error);
  }

  public boolean failed() {
    return error != null;
  }
}

package dev.shelf.engine.template;

import org.jspecify.annotations.Nullable;

/** A chat template that could not be rendered; the message names the template and the reason. */
public final class ChatTemplateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String templateName;

  public ChatTemplateException(String templateName, String reason, @Nullable Throwable cause) {
    super("chat template '" + templateName + "' failed: " + reason, cause);
    this.templateName = templateName;
  }

  /** The name of the template that failed (a file name, a GGUF path or the fallback's name). */
  public String templateName() {
    return templateName;
  }
}

package dev.shelf.guard.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.guard.label.ExplicitLabel.Position;
import org.junit.jupiter.api.Test;

class ExplicitLabelTest {
  @Test
  void theNoticeGoesAtTheStartOrTheEndSetApartByABlankLine() {
    assertThat(new ExplicitLabel(Position.START, "AI").apply("text")).isEqualTo("AI\n\ntext");
    assertThat(new ExplicitLabel(Position.END, "AI").apply("text")).isEqualTo("text\n\nAI");
    assertThat(ExplicitLabel.OFF.apply("text")).isEqualTo("text");
    assertThat(ExplicitLabel.OFF.on()).isFalse();
    assertThat(ExplicitLabel.DEFAULT_TEXT).contains("人工智能生成", "AI-generated");
  }

  @Test
  void anExplicitLabelNeedsWords() {
    assertThatThrownBy(() -> new ExplicitLabel(Position.END, " "))
        .hasMessageContaining("needs a text");
  }
}

package dev.shelf.guard.label;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AigcLabelTest {
  private static final AigcLabel LABEL =
      new AigcLabel("1", "某公司 Shelf", "req-42", "shelf1.abc", "", "", "");

  @Test
  void theHeaderValueIsTheWholeAigcDocumentInAscii() {
    String h = LABEL.headerValue();

    assertThat(h)
        .isEqualTo(
            "{\"AIGC\":{\"Label\":\"1\",\"ContentProducer\":\"\\u67D0\\u516C\\u53F8 Shelf\","
                + "\"ProduceID\":\"req-42\",\"ReservedCode1\":\"shelf1.abc\","
                + "\"ContentPropagator\":\"\",\"PropagateID\":\"\",\"ReservedCode2\":\"\"}}");
    assertThat(h.chars().allMatch(c -> c >= 0x20 && c < 0x7f)).isTrue();
  }

  @Test
  void headerAndBodyEncodingsReadBack() {
    assertThat(AigcLabel.parse(LABEL.headerValue())).isEqualTo(LABEL);
    assertThat(AigcLabel.parse(LABEL.json())).isEqualTo(LABEL);
    assertThat(LABEL.json()).startsWith("{\"Label\":\"1\",");
  }

  @Test
  void everyCharacterIsEscapedToAsciiAndReadsBack() {
    var odd = new AigcLabel("1", "q\"b\\s/\n\r\t\b\f\u0001\u007f é 😀", "id\u2028", "", "", "", "");

    String h = odd.headerValue();

    assertThat(h)
        .contains(
            "\"ContentProducer\":\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u007F \\u00E9"
                + " \\uD83D\\uDE00\"")
        .contains("\"ProduceID\":\"id\\u2028\"");
    assertThat(h.chars().allMatch(c -> c >= 0x20 && c < 0x7f)).isTrue();
    assertThat(AigcLabel.parse(h)).isEqualTo(odd);
    assertThat(AigcLabel.parse(odd.json())).isEqualTo(odd);
  }

  @Test
  void parsingIsLenientAboutMissingAndUnknownFieldsOnly() {
    AigcLabel l =
        AigcLabel.parse(
            "{\"AIGC\": {\"Label\": 1, \"ProduceID\": \"x\", \"Extra\": \"y\", \"ReservedCode2\":"
                + " null}}");
    assertThat(l).isEqualTo(new AigcLabel("1", "", "x", "", "", "", ""));

    assertThatThrownBy(() -> AigcLabel.parse("[1]")).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> AigcLabel.parse("{\"AIGC\": {\"Label\": [1]}}"))
        .hasMessageContaining("AIGC.Label must be a string");
    assertThatThrownBy(() -> AigcLabel.parse("{\"Label\": \"1\"} trailing"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AigcLabel.parse("{\"Label\": ")).hasMessageContaining("must be JSON");
  }

  @Test
  void fieldsUseTheStandardsNamesInItsOrder() {
    assertThat(LABEL.fields().keySet())
        .containsExactly(
            "Label",
            "ContentProducer",
            "ProduceID",
            "ReservedCode1",
            "ContentPropagator",
            "PropagateID",
            "ReservedCode2");
    assertThat(AigcLabel.of(LABEL.fields())).isEqualTo(LABEL);
  }
}

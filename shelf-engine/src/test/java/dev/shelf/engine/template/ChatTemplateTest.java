package dev.shelf.engine.template;

import static dev.shelf.engine.template.ChatTemplateFixturesTest.map;
import static dev.shelf.engine.template.ChatTemplateFixturesTest.msg;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Jinja2 behaviours that chat templates rely on, one by one. */
class ChatTemplateTest {

  static String render(String source, Object... kwargs) {
    TemplateInput input = TemplateInput.of(List.of(msg("user", "hi"))).withGenerationPrompt(false);
    for (int i = 0; i < kwargs.length; i += 2) {
      input = input.withKwarg((String) kwargs[i], kwargs[i + 1]);
    }
    return ChatTemplate.of("test", source).render(input);
  }

  @Test
  void whitespaceControlTrimBlocksAndLstripBlocks() {
    assertThat(render("a  {{- 'b' -}}  c")).isEqualTo("abc");
    assertThat(render("{% if true %}\n    x\n{% endif %}\ny\n")).isEqualTo("    x\ny");
    assertThat(render("a\n    {% if true %}\nb\n    {% endif %}\nc")).isEqualTo("a\nb\nc");
    assertThat(render("a\n  {# note #}\nb")).isEqualTo("a\nb");
  }

  @Test
  void pythonStringMethods() {
    assertThat(render("{{ 'a.b.c'.split('.') | join('|') }}")).isEqualTo("a|b|c");
    assertThat(render("{{ ' a  b '.split() | length }}")).isEqualTo("2");
    assertThat(render("{{ 'x</think>y'.split('</think>')[-1] }}")).isEqualTo("y");
    assertThat(render("{{ '  x \n'.strip() }}|{{ 'xxa'.lstrip('x') }}|{{ 'a  '.rstrip() }}"))
        .isEqualTo("x|a|a");
    assertThat(render("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }}"))
        .isEqualTo("true true");
    assertThat(render("{{ 'hello world'.title() }} {{ 'Ab'.upper() }}{{ 'Ab'.lower() }}"))
        .isEqualTo("Hello World ABab");
    assertThat(render("{{ 'a-b-c'.replace('-', '+') }}")).isEqualTo("a+b+c");
  }

  @Test
  void dictMethodsAndItems() {
    var d = map("a", 1, "b", 2);
    assertThat(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "d", d))
        .isEqualTo("a=1;b=2;");
    assertThat(render("{% for k, v in d|items %}{{ k }}{% endfor %}", "d", d)).isEqualTo("ab");
    assertThat(render("{{ d.get('z', 'none') }}{{ d.get('a') }}", "d", d)).isEqualTo("none1");
  }

  @Test
  void notHasPythonPrecedence() {
    assertThat(render("{{ not x is defined }}", "x", 1)).isEqualTo("false");
    assertThat(render("{{ not y is defined }}")).isEqualTo("true");
    assertThat(render("{{ not m|length == 1 }}", "m", List.of(1, 2))).isEqualTo("true");
    assertThat(render("{{ not t is none and true }}", "t", true)).isEqualTo("true");
    assertThat(render("{{ 'a' not in m }}", "m", List.of("b"))).isEqualTo("true");
  }

  @Test
  void filteredLoopsAndLoopNeighbours() {
    assertThat(
            render(
                "{% for k, v in d.items() if k != 'return' %}{{ k }}{% if not loop.last %},"
                    + "{% endif %}{% endfor %}",
                "d", map("name", 1, "return", 2)))
        .isEqualTo("name");
    assertThat(
            render(
                "{% for x in m %}{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }};{% endfor %}",
                "m", List.of("a", "b", "c")))
        .isEqualTo("<a>b;a<b>c;b<c>;");
  }

  @Test
  void slicingNamespaceAndLoopControls() {
    var m = List.of(1, 2, 3, 4);
    assertThat(render("{{ m[1:] | join(',') }}|{{ m[:-1] | join(',') }}|{{ m[-1] }}", "m", m))
        .isEqualTo("2,3,4|1,2,3|4");
    assertThat(
            render(
                "{% set ns = namespace(n=0) %}{% for x in m %}{% if x == 3 %}{% break %}{% endif %}"
                    + "{% if x == 1 %}{% continue %}{% endif %}{% set ns.n = ns.n + x %}"
                    + "{% endfor %}{{ ns.n }}",
                "m", m))
        .isEqualTo("2");
  }

  @Test
  void tojsonFormatsLikePythonJsonDumps() {
    var v = map("a", List.of(1, 2.5, true), "é", map(), "n", null, "s", "q\"\n");
    assertThat(render("{{ v | tojson }}", "v", v))
        .isEqualTo("{\"a\": [1, 2.5, true], \"é\": {}, \"n\": null, \"s\": \"q\\\"\\n\"}");
    assertThat(render("{{ v | tojson(indent=2) }}", "v", map("a", List.of(1), "b", List.of())))
        .isEqualTo("{\n  \"a\": [\n    1\n  ],\n  \"b\": []\n}");
    assertThat(PyJson.number(1e-5)).isEqualTo("1e-05");
    assertThat(PyJson.number(3.0)).isEqualTo("3.0");
    assertThat(PyJson.dumps("é", null, true, false)).isEqualTo("\"\\u00e9\"");
  }

  @Test
  void indentFilterAndFilterBlock() {
    assertThat(render("{{ 'a\nb\n\nc' | indent(2, first=true) }}")).isEqualTo("  a\n  b\n\n  c");
    assertThat(render("{% filter upper %}ab{% endfilter %}")).isEqualTo("AB");
  }

  @Test
  void strftimeNowUsesTheTemplateClock() {
    var t =
        ChatTemplate.of(
                "t", "{{ strftime_now('%d %b %Y') }}{% if strftime_now is defined %}!{% endif %}")
            .withClock(Clock.fixed(Instant.parse("2024-09-05T12:00:00Z"), ZoneOffset.UTC));
    assertThat(t.render(TemplateInput.of(List.of()))).isEqualTo("05 Sep 2024!");
  }

  @Test
  void failuresNameTheTemplateAndTheReason() {
    assertThatThrownBy(() -> render("a{{ raise_exception('bad input') }}b"))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessage("chat template 'test' failed: raise_exception: bad input");
    assertThatThrownBy(() -> render("{% if %}"))
        .isInstanceOf(ChatTemplateException.class)
        .hasMessageStartingWith("chat template 'test' failed: ")
        .satisfies(e -> assertThat(((ChatTemplateException) e).templateName()).isEqualTo("test"));
  }

  @Test
  void fallbackIsChatMl() {
    var t = ChatTemplate.fallback();
    assertThat(t.isFallback()).isTrue();
    assertThat(t.render(TemplateInput.of(List.of(msg("user", "Hi"), msg("assistant", "Yo")))))
        .isEqualTo(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>\n"
                + "<|im_start|>assistant\n");
    assertThat(t.render(TemplateInput.of(List.of(msg("user", "Hi"))).withGenerationPrompt(false)))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n");
  }
}

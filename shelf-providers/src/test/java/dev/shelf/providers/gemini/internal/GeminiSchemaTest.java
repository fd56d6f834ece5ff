package dev.shelf.providers.gemini.internal;

import static dev.shelf.providers.gemini.internal.GenerateContentRequestTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shelf.providers.spi.ProviderException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** JSON Schema to Gemini's OpenAPI subset, one idiom per case, exact JSON. */
class GeminiSchemaTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        // what, JSON Schema, Gemini schema
        "unsupported keywords dropped | {'type':'string','minLength':1,'$comment':'x',"
            + "'contentEncoding':'base64','readOnly':true} | {'type':'string','minLength':1}",
        "const is a one-value enum | {'const':'yes'} | {'type':'string','enum':['yes']}",
        "numeric enum becomes a hint | {'type':'integer','description':'Level','enum':[1,2]}"
            + " | {'type':'integer','description':'Level Allowed values: 1, 2.'}",
        "oneOf is anyOf | {'oneOf':[{'type':'string'},{'type':'number'}]}"
            + " | {'anyOf':[{'type':'string'},{'type':'number'}]}",
        "type list is anyOf | {'type':['string','integer','null']}"
            + " | {'anyOf':[{'type':'string'},{'type':'integer'}],'nullable':true}",
        "allOf merged | {'allOf':[{'type':'object','properties':{'a':{'type':'string'}},"
            + "'required':['a']},{'properties':{'b':{'type':'number'}},'required':['b']}]}"
            + " | {'type':'object','properties':{'a':{'type':'string'},'b':{'type':'number'}},"
            + "'required':['a','b']}",
        "exclusive bounds and examples | {'type':'number','exclusiveMinimum':0,"
            + "'exclusiveMaximum':1,'examples':[0.5],'multipleOf':0.1}"
            + " | {'type':'number','minimum':0,'maximum':1,'example':0.5}",
        "supported formats kept | {'type':'string','format':'date-time'}"
            + " | {'type':'string','format':'date-time'}",
        "array items converted | {'type':'array','items':{'type':'string','format':'email'},"
            + "'uniqueItems':true,'minItems':1} | {'type':'array','items':{'type':'string'},"
            + "'minItems':1}",
      })
  void converts(String what, String schema, String expected) {
    assertThat(GeminiSchema.convert(json(schema), "p")).as(what).isEqualTo(json(expected));
  }

  @Test
  void aRecursiveRefIsCutAtItsSecondVisit() {
    assertThat(
            GeminiSchema.convert(
                json(
                    "{'$ref':'#/$defs/Node','$defs':{'Node':{'type':'object','properties':{"
                        + "'children':{'type':'array','items':{'$ref':'#/$defs/Node'}}}}}}"),
                "p"))
        .isEqualTo(
            json(
                "{'type':'object','properties':{'children':{'type':'array',"
                    + "'items':{'type':'object'}}}}"));
  }

  @Test
  void aRemoteRefIsRefusedNamingTheParameter() {
    assertThatThrownBy(
            () ->
                GeminiSchema.convert(
                    json("{'$ref':'https://example.com/s.json'}"), "tools[0].function.parameters"))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.param()).isEqualTo("tools[0].function.parameters");
              assertThat(e.getMessage()).contains("https://example.com/s.json");
            });
  }
}

package dev.shelf.engine.grammar;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Recognises, one byte at a time, JSON that a {@link JsonSchema} allows, and says at every byte
 * whether the text so far can still become such JSON: what constrained decoding asks of each
 * candidate token. A pushdown automaton over UTF-8 bytes: a stack of frames (a value to begin, an
 * object, an array, a string, a number, a literal), the innermost on top.
 *
 * <h2>What it enforces</h2>
 *
 * RFC 8259 syntax; at each value the schema's types (the first byte decides the type: {@code "}
 * string, {@code -} or a digit number, {@code t}/{@code f} boolean, {@code n} null, <code>{</code>
 * object, {@code [} array), integers without fraction or exponent; {@code enum}/{@code const}
 * values byte for byte; in objects, declared properties with their own schemas, no key twice (as
 * written: an escape makes another key), no other keys when {@code additionalProperties} is false,
 * and no closing brace before every required key is there; the counting bounds of strings ({@code
 * minLength}, {@code maxLength}, in code points), arrays ({@code minItems}, {@code maxItems}) and
 * objects ({@code minProperties}, {@code maxProperties}; when only as many keys are left as
 * required ones are missing, only those may come) and an integer's range (a sign or digit only
 * while some integer the text may still become lies in it). White space between tokens is allowed,
 * at most {@link #MAX_BLANKS} bytes in a row (a model cannot stall in blanks forever), and numbers
 * have at most {@link #MAX_DIGITS} digits before and after the point. Inside strings any byte from
 * 0x20 up is allowed, and escapes are checked ({@code \\uXXXX} with four hex digits).
 *
 * <p>The text begins with the value itself, no white space first. After the value the grammar may
 * demand a fixed {@code suffix} (white space allowed before it): how a forced tool call is closed
 * after its arguments. Then it is {@linkplain #complete() complete} and accepts nothing more.
 *
 * <p>Not thread-safe; {@link #copy()} is cheap (frames are small), which is how a candidate token
 * is tried without changing the grammar.
 */
public final class JsonGrammar {
  /** The most white-space bytes in a row between tokens. */
  public static final int MAX_BLANKS = 16;

  /**
   * The most digits of a number before its point, and after it: more than a double holds, and a
   * bound, so that a model cannot write digits forever.
   */
  public static final int MAX_DIGITS = 20;

  static final int CONSUMED = 0;
  static final int REJECT = 1;
  static final int DONE = 2;
  static final int DONE_RETRY = 3;
  static final int RETRY = 4;

  private final ArrayList<Frame> stack;
  private final byte[] suffix;
  private int suffixAt;
  private int blanks;
  private boolean blank;

  /** A grammar of one value of {@code schema}, followed by {@code suffix} (may be empty). */
  public JsonGrammar(JsonSchema schema, String suffix) {
    this.stack = new ArrayList<>(8);
    this.stack.add(new Value(schema, false));
    this.suffix = suffix.getBytes(StandardCharsets.UTF_8);
  }

  private JsonGrammar(JsonGrammar other) {
    this.stack = new ArrayList<>(other.stack.size() + 4);
    for (Frame f : other.stack) {
      this.stack.add(f.copy());
    }
    this.suffix = other.suffix;
    this.suffixAt = other.suffixAt;
    this.blanks = other.blanks;
  }

  /** An independent grammar in the same state. */
  public JsonGrammar copy() {
    return new JsonGrammar(this);
  }

  /** Whether the text so far is a whole value (and suffix): generation may end here. */
  public boolean complete() {
    if (stack.isEmpty()) {
      return suffixAt == suffix.length;
    }
    return suffix.length == 0 && stack.size() == 1 && stack.getFirst().mayEnd();
  }

  /**
   * Whether the text is complete and nothing may follow it (unlike a number at the top level, which
   * is complete but may take more digits).
   */
  public boolean done() {
    return stack.isEmpty() && suffixAt == suffix.length;
  }

  /** Takes {@code bytes} one after another; false (and a spoilt grammar) when one is refused. */
  public boolean accept(byte[] bytes) {
    for (byte b : bytes) {
      if (!accept(b & 0xFF)) {
        return false;
      }
    }
    return true;
  }

  /** Takes one byte (0-255); false when the text can no longer become what the grammar allows. */
  public boolean accept(int b) {
    blank = false;
    boolean ok = step(b);
    if (ok && !blank) {
      blanks = 0;
    }
    return ok;
  }

  private boolean step(int b) {
    while (true) {
      if (stack.isEmpty()) {
        if (suffixAt < suffix.length) {
          if ((suffix[suffixAt] & 0xFF) == b) {
            suffixAt++;
            return true;
          }
          return suffixAt == 0 && blank(b);
        }
        return false;
      }
      Frame top = stack.getLast();
      switch (top.accept(b, this)) {
        case CONSUMED -> {
          return true;
        }
        case REJECT -> {
          return false;
        }
        case DONE -> {
          pop();
          return true;
        }
        case DONE_RETRY -> pop();
        default -> {} // RETRY: a new top takes the byte
      }
    }
  }

  private void pop() {
    Frame done = stack.removeLast();
    if (!stack.isEmpty()) {
      stack.getLast().childDone(done);
    }
  }

  /**
   * When the text is inside a string that takes any text (no fixed values, no pattern), how many
   * more characters it may take ({@link Integer#MAX_VALUE}: no bound): up to that many, every byte
   * from 0x20 up other than {@code "} and {@code \\} is taken. -1 when not in such a string.
   */
  public int freeStringRoom() {
    return !stack.isEmpty() && stack.getLast() instanceof Str s && s.free() ? s.room() : -1;
  }

  void push(Frame f) {
    stack.add(f);
  }

  void replaceTop(Frame f) {
    stack.set(stack.size() - 1, f);
  }

  /** Whether {@code b} is white space that may stand here (counted against the limit). */
  boolean blank(int b) {
    if (b == ' ' || b == '\n' || b == '\t' || b == '\r') {
      blank = true;
      return ++blanks <= MAX_BLANKS;
    }
    return false;
  }

  /** One level of the value being written. */
  abstract static class Frame {
    abstract int accept(int b, JsonGrammar g);

    /** A value inside this one is finished. */
    void childDone(Frame child) {}

    /** Whether the text may end here (a number at the top level). */
    boolean mayEnd() {
      return false;
    }

    abstract Frame copy();
  }

  /** A value about to begin: its first byte says which kind of frame takes it. */
  static final class Value extends Frame {
    final JsonSchema schema;
    final boolean blanks;

    /** {@code blanks}: whether white space may come first (not before the whole text). */
    Value(JsonSchema schema, boolean blanks) {
      this.schema = schema;
      this.blanks = blanks;
    }

    @Override
    int accept(int b, JsonGrammar g) {
      if (blanks && g.blank(b)) {
        return CONSUMED;
      }
      @Nullable Frame f = start(schema, b);
      if (f == null) {
        return REJECT;
      }
      g.replaceTop(f);
      return RETRY;
    }

    @Override
    Frame copy() {
      return this; // stateless
    }
  }

  /** The frame for a value of {@code schema} that begins with {@code b}, or null if none may. */
  static @Nullable Frame start(JsonSchema schema, int b) {
    int t = schema.types;
    if (schema.literals != null) {
      return Literal.of(schema.literals, b);
    }
    return switch (b) {
      case '{' -> (t & JsonSchema.OBJECT) != 0 ? new Obj(schema.objects()) : null;
      case '[' -> (t & JsonSchema.ARRAY) != 0 ? new Arr(schema.arrays()) : null;
      case '"' -> (t & JsonSchema.STRING) != 0 ? Str.bounded(schema.strings()) : null;
      case 't', 'f' -> (t & JsonSchema.BOOLEAN) != 0 ? Literal.of(BOOLEANS, b) : null;
      case 'n' -> (t & JsonSchema.NULL) != 0 ? Literal.of(NULLS, b) : null;
      default -> {
        boolean numeric = b == '-' || (b >= '0' && b <= '9');
        if (numeric && (t & (JsonSchema.NUMBER | JsonSchema.INTEGER)) != 0) {
          JsonSchema numbers = schema.numbers();
          yield new JsonNumber(
              (t & JsonSchema.NUMBER) == 0, numbers.least, numbers.most, numbers.multipleOf);
        }
        yield null;
      }
    };
  }

  private static final List<byte[]> BOOLEANS =
      List.of(
          "true".getBytes(StandardCharsets.US_ASCII), "false".getBytes(StandardCharsets.US_ASCII));
  private static final List<byte[]> NULLS = List.of("null".getBytes(StandardCharsets.US_ASCII));

  /** An object: keys (declared or, when allowed, others) and their values. */
  static final class Obj extends Frame {
    private static final int OPEN = 0;
    private static final int KEY = 1;
    private static final int COLON = 2;
    private static final int VALUE = 3;
    private static final int AFTER = 4;
    private static final int NEXT = 5;

    final JsonSchema schema;
    final List<String> names;
    BitSet seen;
    int state = -1;
    int keys;
    JsonSchema valueSchema = JsonSchema.ANY;

    /** The undeclared keys written, quoted (replaced, never changed: copies share it). */
    List<byte[]> extras = List.of();

    /** The declared names as written between quotes (quotes included). */
    final List<byte[]> quoted;

    Obj(JsonSchema schema) {
      this.schema = schema;
      this.names = List.copyOf(schema.properties.keySet());
      List<byte[]> q = new ArrayList<>(names.size());
      for (String name : names) {
        q.add(JsonSchema.quoted(name));
      }
      this.quoted = q;
      this.seen = new BitSet(names.size());
    }

    private Obj(Obj o) {
      this.schema = o.schema;
      this.names = o.names;
      this.quoted = o.quoted;
      this.seen = (BitSet) o.seen.clone();
      this.state = o.state;
      this.keys = o.keys;
      this.extras = o.extras;
      this.valueSchema = o.valueSchema;
    }

    @Override
    Frame copy() {
      return new Obj(this);
    }

    @Override
    int accept(int b, JsonGrammar g) {
      switch (state) {
        case -1 -> {
          state = OPEN;
          return b == '{' ? CONSUMED : REJECT;
        }
        case OPEN, NEXT -> {
          if (g.blank(b)) {
            return CONSUMED;
          }
          if (b == '"' && keysLeft()) {
            state = KEY;
            g.push(new Str(keyCandidates(), true, seenNames()));
            return RETRY;
          }
          if (b == '}' && state == OPEN && requiredSeen() && keys >= schema.minProperties) {
            return DONE;
          }
          return REJECT;
        }
        case COLON -> {
          if (g.blank(b)) {
            return CONSUMED;
          }
          if (b == ':') {
            state = VALUE;
            g.push(new Value(valueSchema, true));
            return CONSUMED;
          }
          return REJECT;
        }
        case AFTER -> {
          if (g.blank(b)) {
            return CONSUMED;
          }
          if (b == ',' && keysLeft()) {
            state = NEXT;
            return CONSUMED;
          }
          if (b == '}' && requiredSeen() && keys >= schema.minProperties) {
            return DONE;
          }
          return REJECT;
        }
        default -> {
          return REJECT; // KEY and VALUE: a child frame takes the bytes
        }
      }
    }

    @Override
    void childDone(Frame child) {
      if (state == KEY) {
        byte[] key = ((Str) child).bytes();
        int i = 0;
        while (i < quoted.size() && !Arrays.equals(quoted.get(i), key)) {
          i++;
        }
        keys++;
        if (i < quoted.size()) {
          seen.set(i);
          valueSchema = schema.properties.getOrDefault(names.get(i), JsonSchema.ANY);
        } else {
          valueSchema = schema.additionalSchema();
          List<byte[]> more = new ArrayList<>(extras);
          more.add(key);
          extras = more;
        }
        state = COLON;
      } else {
        state = AFTER;
      }
    }

    private boolean keysLeft() {
      if (schema.maxProperties >= 0 && keys >= schema.maxProperties) {
        return false;
      }
      return schema.additional || seen.cardinality() < names.size();
    }

    /** Whether the keys left under maxProperties are just enough for the missing required ones. */
    private boolean onlyRequiredLeft() {
      return schema.maxProperties >= 0 && schema.maxProperties - keys <= missingRequired();
    }

    private int missingRequired() {
      int missing = 0;
      for (String r : schema.required) {
        int i = names.indexOf(r);
        if (i < 0 || !seen.get(i)) {
          missing++;
        }
      }
      return missing;
    }

    /** The keys written already, which may not come again (null: none yet). */
    private @Nullable List<byte[]> seenNames() {
      if (seen.isEmpty() && extras.isEmpty()) {
        return null;
      }
      List<byte[]> out = new ArrayList<>(extras);
      for (int i = seen.nextSetBit(0); i >= 0; i = seen.nextSetBit(i + 1)) {
        out.add(quoted.get(i));
      }
      return out;
    }

    /** Keys that may come next: the declared ones not yet written (null: any key). */
    private @Nullable List<byte[]> keyCandidates() {
      boolean onlyRequired = onlyRequiredLeft();
      if (schema.additional && !onlyRequired) {
        return null;
      }
      List<byte[]> out = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        if (!seen.get(i) && (!onlyRequired || schema.required.contains(names.get(i)))) {
          out.add(quoted.get(i));
        }
      }
      return out;
    }

    private boolean requiredSeen() {
      return missingRequired() == 0;
    }
  }

  /** An array of values of one schema, as many as its bounds allow. */
  static final class Arr extends Frame {
    final JsonSchema schema;
    final JsonSchema items;
    int state = -1; // -1 before '[', 0 after it, 1 after a value, 2 after a comma
    int count;

    Arr(JsonSchema schema) {
      this.schema = schema;
      this.items = schema.items();
    }

    @Override
    Frame copy() {
      Arr a = new Arr(schema);
      a.state = state;
      a.count = count;
      return a;
    }

    @Override
    int accept(int b, JsonGrammar g) {
      if (state == -1) {
        state = 0;
        return b == '[' ? CONSUMED : REJECT;
      }
      if (g.blank(b)) {
        return CONSUMED;
      }
      if (state == 0 && b == ']') {
        return schema.minItems == 0 ? DONE : REJECT;
      }
      if (state == 1) {
        if (b == ',') {
          state = 2;
          return schema.maxItems < 0 || count < schema.maxItems ? CONSUMED : REJECT;
        }
        return b == ']' && count >= schema.minItems ? DONE : REJECT;
      }
      if (state == 0 && schema.maxItems == 0) {
        return REJECT;
      }
      g.push(new Value(items, true));
      return RETRY;
    }

    @Override
    void childDone(Frame child) {
      state = 1;
      count++;
    }
  }

  /**
   * A string, its bytes checked against candidates (whole quoted texts) when it must be one of
   * them; keys keep their text.
   */
  static final class Str extends Frame {
    final @Nullable List<byte[]> candidates;
    final @Nullable List<byte[]> forbidden;
    final boolean keep;
    byte[] text;
    int length;
    int state = -1; // -1 before the quote, 0 in the string, 1 after '\', 2..5 hex digits of \\u
    int minChars;
    int maxChars = Integer.MAX_VALUE;
    int chars;
    int hex;

    /** Whether the last thing written was a {@code \\u} escape of a high surrogate. */
    boolean high;

    /** The pattern the characters must match (a {@code pattern} or {@code format}); or null. */
    @Nullable StringPattern pattern;

    /** The pattern's states after the characters so far. */
    BitSet at = new BitSet();

    /** Under a pattern: the UTF-8 continuation bytes still to come, and the bits so far. */
    int pending;

    int partial;

    /** The least character the UTF-8 sequence begun may encode (shorter ones are overlong). */
    int least;

    Str(@Nullable List<byte[]> candidates, boolean keep) {
      this(candidates, keep, null);
    }

    /** A string value of {@code schema}'s length bounds. */
    static Str bounded(JsonSchema schema) {
      Str s = new Str(null, false);
      s.minChars = schema.minLength;
      s.maxChars = schema.maxLength < 0 ? Integer.MAX_VALUE : schema.maxLength;
      s.pattern = schema.pattern;
      if (s.pattern != null) {
        s.at = s.pattern.start();
      }
      return s;
    }

    /** {@code forbidden}: whole quoted texts it may not be (keys written already). */
    Str(@Nullable List<byte[]> candidates, boolean keep, @Nullable List<byte[]> forbidden) {
      this.candidates = candidates;
      this.forbidden = forbidden;
      this.keep = keep || candidates != null || forbidden != null;
      this.text = this.keep ? new byte[16] : new byte[0];
    }

    @Override
    Frame copy() {
      Str s = new Str(candidates, keep, forbidden);
      s.text = keep ? Arrays.copyOf(text, Math.max(text.length, 1)) : s.text;
      s.length = length;
      s.state = state;
      s.minChars = minChars;
      s.maxChars = maxChars;
      s.chars = chars;
      s.hex = hex;
      s.high = high;
      s.pattern = pattern;
      s.at = at; // never changed in place
      s.pending = pending;
      s.partial = partial;
      s.least = least;
      return s;
    }

    boolean free() {
      return candidates == null && state == 0 && pattern == null;
    }

    /** The characters it may still take. */
    int room() {
      return maxChars == Integer.MAX_VALUE ? Integer.MAX_VALUE : maxChars - chars;
    }

    /** The string as written, quotes and escapes included. */
    byte[] bytes() {
      return Arrays.copyOf(text, length);
    }

    @Override
    int accept(int b, JsonGrammar g) {
      int r = step(b);
      if (r == REJECT) {
        return REJECT;
      }
      if (keep) {
        if (length == text.length) {
          text = Arrays.copyOf(text, length * 2 + 1);
        }
        text[length++] = (byte) b;
        if (candidates != null && !anyStartsWith(candidates)) {
          return REJECT;
        }
      }
      return r;
    }

    private int step(int b) {
      switch (state) {
        case -1 -> {
          state = 0;
          return b == '"' ? CONSUMED : REJECT;
        }
        case 0 -> {
          if (b == '"') {
            if (chars < minChars) {
              return REJECT;
            }
            if (pattern != null && (pending > 0 || !pattern.matches(at, chars))) {
              return REJECT;
            }
            if (candidates != null && !isCandidateWith(candidates, b)) {
              return REJECT;
            }
            if (forbidden != null && isCandidateWith(forbidden, b)) {
              return REJECT;
            }
            return DONE;
          }
          if (b == '\\') {
            // no room left: only the second half of a surrogate pair may still come
            if (chars >= maxChars && !high) {
              return REJECT;
            }
            // under a pattern: an escape writes a character of the Basic Multilingual Plane
            if (pattern != null && (pending > 0 || !pattern.takes(at, 0, 0xFFFF, chars + 1))) {
              return REJECT;
            }
            state = 1;
            return CONSUMED;
          }
          high = false;
          if (b < 0x20) {
            return REJECT;
          }
          if (pattern != null) {
            return patternByte(b, pattern);
          }
          // a UTF-8 continuation byte belongs to the character its lead byte began
          return (b & 0xC0) == 0x80 || counted() ? CONSUMED : REJECT;
        }
        case 1 -> {
          if (b == 'u') {
            state = 2;
            hex = 0;
            return CONSUMED;
          }
          state = 0;
          high = false;
          int escaped = "\"\\/bfnrt".indexOf(b);
          if (escaped < 0 || !written("\"\\/\b\f\n\r\t".charAt(escaped))) {
            return REJECT;
          }
          return counted() ? CONSUMED : REJECT;
        }
        default -> {
          int digit = Character.digit(b, 16);
          if (digit < 0 || b > 'f') {
            return REJECT;
          }
          hex = hex * 16 + digit;
          if (pattern != null) {
            // the characters the digits so far may still become; a surrogate may not
            int rest = 4 * (5 - state);
            if (!pattern.takes(at, hex << rest, (hex << rest) | ((1 << rest) - 1), chars + 1)) {
              return REJECT;
            }
            if (state == 5) {
              state = 0;
              at = pattern.step(at, hex, hex);
              return counted() ? CONSUMED : REJECT;
            }
          }
          // no room left after a high surrogate: only digits that can still make a low one
          boolean full = high && chars >= maxChars;
          if (full && ((state == 2 && hex != 0xD) || (state == 3 && (hex < 0xDC || hex > 0xDF)))) {
            return REJECT;
          }
          if (state < 5) {
            state++;
            return CONSUMED;
          }
          state = 0;
          boolean low = hex >= 0xDC00 && hex <= 0xDFFF;
          if (low && high) {
            // the second half of a surrogate pair: the character its first half counted
            high = false;
            return CONSUMED;
          }
          high = hex >= 0xD800 && hex <= 0xDBFF;
          return counted() ? CONSUMED : REJECT;
        }
      }
    }

    /**
     * Under a pattern, whether character {@code c} may be written next, and if so its step taken
     * (the count is the caller's); true without one.
     */
    private boolean written(int c) {
      if (pattern == null) {
        return true;
      }
      if (chars >= maxChars || !pattern.takes(at, c, c, chars + 1)) {
        return false;
      }
      at = pattern.step(at, c, c);
      return true;
    }

    /**
     * A byte of raw UTF-8 under a pattern: a character whole, or its lead byte (taken when some
     * character it may begin fits, and counted), or a continuation byte (narrowing the range, the
     * step taken with the last). Malformed UTF-8 is refused.
     */
    private int patternByte(int b, StringPattern p) {
      if ((b & 0xC0) == 0x80) {
        if (pending == 0) {
          return REJECT;
        }
        partial = (partial << 6) | (b & 0x3F);
        pending--;
        int rest = 6 * pending;
        int lo = Math.max(least, partial << rest);
        int hi = Math.min((partial << rest) | ((1 << rest) - 1), Character.MAX_CODE_POINT);
        if (lo > hi || !p.takes(at, lo, hi, chars)) {
          return REJECT;
        }
        if (pending == 0) {
          at = p.step(at, partial, partial);
        }
        return CONSUMED;
      }
      if (pending > 0) {
        return REJECT;
      }
      if (b < 0x80) {
        return written(b) && counted() ? CONSUMED : REJECT;
      }
      int more =
          b >= 0xC2 && b <= 0xDF ? 1 : b >= 0xE0 && b <= 0xEF ? 2 : b >= 0xF0 && b <= 0xF4 ? 3 : 0;
      if (more == 0 || chars >= maxChars) {
        return REJECT;
      }
      int bits = b & (0x3F >> more);
      int shortest = more == 1 ? 0x80 : more == 2 ? 0x800 : 0x10000;
      int lo = Math.max(shortest, bits << (6 * more));
      int hi = Math.min((bits << (6 * more)) | ((1 << (6 * more)) - 1), Character.MAX_CODE_POINT);
      if (lo > hi || !p.takes(at, lo, hi, chars + 1) || !counted()) {
        return REJECT;
      }
      pending = more;
      partial = bits;
      least = shortest;
      return CONSUMED;
    }

    /** Counts one more character, if the bound has room for it. */
    private boolean counted() {
      if (chars >= maxChars) {
        return false;
      }
      chars++;
      return true;
    }

    /** Whether the text and {@code b} (the closing quote) are a whole candidate. */
    private boolean isCandidateWith(List<byte[]> candidates, int b) {
      for (byte[] c : candidates) {
        if (c.length == length + 1 && c[length] == (byte) b && prefixOf(c, length)) {
          return true;
        }
      }
      return false;
    }

    private boolean anyStartsWith(List<byte[]> candidates) {
      for (byte[] c : candidates) {
        if (c.length >= length && prefixOf(c, length)) {
          return true;
        }
      }
      return false;
    }

    private boolean prefixOf(byte[] c, int n) {
      return Arrays.equals(c, 0, n, text, 0, n);
    }
  }

  /** One of a fixed set of values, byte for byte ({@code enum}, {@code true}, {@code null}). */
  static final class Literal extends Frame {
    final List<byte[]> candidates;
    byte[] text = new byte[16];
    int length;

    private Literal(List<byte[]> candidates) {
      this.candidates = candidates;
    }

    static @Nullable Literal of(List<byte[]> candidates, int first) {
      for (byte[] c : candidates) {
        if (c.length > 0 && (c[0] & 0xFF) == first) {
          return new Literal(candidates);
        }
      }
      return null;
    }

    @Override
    Frame copy() {
      Literal l = new Literal(candidates);
      l.text = text.clone();
      l.length = length;
      return l;
    }

    @Override
    boolean mayEnd() {
      return whole();
    }

    @Override
    int accept(int b, JsonGrammar g) {
      if (length == text.length) {
        text = Arrays.copyOf(text, length * 2);
      }
      text[length] = (byte) b;
      boolean extends_ = false;
      boolean longer = false;
      for (byte[] c : candidates) {
        if (c.length > length && Arrays.equals(c, 0, length + 1, text, 0, length + 1)) {
          extends_ = true;
          longer |= c.length > length + 1;
        }
      }
      if (!extends_) {
        return whole() ? DONE_RETRY : REJECT;
      }
      length++;
      // done at once unless a longer candidate shares the text (1 and 10)
      return whole() && !longer && endsItself() ? DONE : CONSUMED;
    }

    /** Whether the text is a whole candidate. */
    private boolean whole() {
      for (byte[] c : candidates) {
        if (c.length == length && Arrays.equals(c, 0, length, text, 0, length)) {
          return true;
        }
      }
      return false;
    }

    /** A string, boolean or null ends with its own last byte; a number may go on. */
    private boolean endsItself() {
      int first = text[0];
      return first != '-' && (first < '0' || first > '9');
    }
  }
}

package org.dkimrelay.relay.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.dkimrelay.keys.Cidr;

/** Reads {@code dkimrelay.toml}: unknown keys and bad values stop start-up with file and line. */
public final class ConfigLoader {
  // An address range is written as its text (keys has no Jackson); a bad one fails with Cidr's own
  // message, which describe() shows.
  private static final SimpleModule CIDR =
      new SimpleModule("cidr")
          .addSerializer(Cidr.class, ToStringSerializer.instance)
          .addDeserializer(
              Cidr.class,
              new StdDeserializer<Cidr>(Cidr.class) {
                private static final long serialVersionUID = 1L;

                @Override
                public Cidr deserialize(JsonParser parser, DeserializationContext context)
                    throws IOException {
                  return Cidr.parse(parser.getValueAsString());
                }
              });
  private static final ObjectMapper TOML =
      TomlMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          // max-sessions = "64" is a mistake to report, not a number to guess at
          .withCoercionConfig(
              LogicalType.Integer,
              config -> config.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
          .withCoercionConfig(
              LogicalType.Boolean,
              config -> config.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
          .addModule(CIDR)
          .defaultPropertyInclusion(
              JsonInclude.Value.construct(
                  JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
          .build();

  private ConfigLoader() {}

  /** Loads {@code file}; relative paths in it resolve against {@code home}. */
  public static RelayConfig load(Path file, Path home) throws ConfigException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": no such file");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage());
    }
    return parse(text, file.toString()).resolvedAgainst(home);
  }

  /** Parses TOML text; {@code source} names it in errors. */
  public static RelayConfig parse(String text, String source) throws ConfigException {
    ConfigFile file;
    try {
      file = TOML.readValue(text, ConfigFile.class);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + describe(e, text));
    }
    try {
      return (file != null ? file : ConfigFile.EMPTY).settings();
    } catch (InvalidSetting e) {
      int lineNumber = TomlLines.lineOf(text, e.table());
      throw new ConfigException(
          source
              + (lineNumber > 0 ? ":" + lineNumber : "")
              + ": "
              + (e.table().isEmpty() ? "" : e.table() + ": ")
              + e.getMessage());
    }
  }

  /** TOML of the configuration with every default filled in. */
  public static String render(RelayConfig config) {
    try {
      return TOML.writeValueAsString(ConfigFile.of(config));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the configuration", e);
    }
  }

  private static String typeName(Class<?> type) {
    if (type == Integer.class || type == int.class || type == Long.class) {
      return "whole number";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "boolean (true or false)";
    }
    return type.getSimpleName();
  }

  private static String describe(JsonProcessingException e, String text) {
    String key = "";
    if (e instanceof JsonMappingException mapping) {
      key =
          mapping.getPath().stream()
              .map(JsonMappingException.Reference::getFieldName)
              .filter(name -> name != null)
              .collect(Collectors.joining("."));
    }
    JsonLocation location = e.getLocation();
    int lineNumber =
        location != null && location.getLineNr() > 0
            ? location.getLineNr()
            : TomlLines.lineOf(text, key);
    String line = lineNumber > 0 ? ":" + lineNumber : "";
    if (e instanceof UnrecognizedPropertyException) {
      return TomlLines.isTableHeader(text, lineNumber, key)
          ? line + ": unknown section [" + key + "]"
          : line + ": unknown key '" + key + "'";
    }
    if (e instanceof MismatchedInputException mismatched && mismatched.getTargetType() != null) {
      return line + ": " + key + ": " + mismatch(mismatched, TomlLines.valueOn(text, lineNumber));
    }
    if (e instanceof StreamReadException) {
      String source = TomlLines.lineAt(text, lineNumber).strip();
      String hint =
          TomlLines.unquotedWord(source)
              .map(w -> " (a text value needs quotes: \"" + w + "\")")
              .orElse("");
      return line + ": not valid TOML: " + source + hint;
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String what =
        root instanceof IllegalArgumentException || root instanceof ArithmeticException
            ? root.getMessage()
            : e.getOriginalMessage().replaceAll("\\s+", " ");
    return line + ": " + (key.isEmpty() ? "" : key + ": ") + what;
  }

  /** A value of the wrong type; a number or boolean written in quotes is named as such. */
  private static String mismatch(MismatchedInputException e, String written) {
    String wanted = typeName(e.getTargetType());
    String unquoted = written.replaceAll("^[\"']|[\"']$", "");
    boolean number = wanted.equals("whole number");
    if (!written.equals(unquoted) && unquoted.matches(number ? "[-+]?\\d+" : "true|false")) {
      return written
          + " is a string; write "
          + (number ? "a whole number" : "true or false")
          + " without quotes";
    }
    Object value = e instanceof InvalidFormatException invalid ? invalid.getValue() : unquoted;
    return "'" + value + "' is not a valid " + wanted;
  }
}

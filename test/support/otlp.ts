/**
 * What an OTLP/HTTP trace receiver reads from a request body, in either encoding the exporter spec
 * names: `application/json` (http/json) as is, and `application/x-protobuf` (http/protobuf)
 * decoded with protobufjs against the OTLP trace messages below (opentelemetry-proto,
 * collector/trace/v1 and the messages it uses, the fields the tests read). Both come back in the
 * shape of the JSON encoding: lowerCamelCase fields, trace and span ids as hex, 64-bit integers as
 * strings, so a test reads one shape whatever the exporter sent.
 */
import protobuf from 'protobufjs';

const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  fixed32 flags = 16;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  uint32 dropped_attributes_count = 10;
  Status status = 15;
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

const request = protobuf.parse(OTLP_TRACE_PROTO).root.lookupType('otlp.ExportTraceServiceRequest');

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number; message?: string };
}

export interface OtlpTraces {
  resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

const hex = (b64: unknown) => (typeof b64 === 'string' ? Buffer.from(b64, 'base64').toString('hex') : undefined);

/** The export request in `body`, sent with `contentType`; throws on any other content type. */
export function decodeOtlpTraces(contentType: string | undefined, body: Buffer): OtlpTraces {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return JSON.parse(body.toString('utf8')) as OtlpTraces;
  if (type !== 'application/x-protobuf') throw new Error(`not an OTLP/HTTP content type: ${contentType}`);
  const decoded = request.toObject(request.decode(body), { longs: String, bytes: String, arrays: true, defaults: false, oneofs: false }) as OtlpTraces;
  for (const rs of decoded.resourceSpans) {
    rs.resource ??= { attributes: [] };
    rs.resource.attributes ??= [];
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        span.traceId = hex(span.traceId) ?? '';
        span.spanId = hex(span.spanId) ?? '';
        const parent = hex(span.parentSpanId);
        if (parent) span.parentSpanId = parent;
        else delete span.parentSpanId;
        span.attributes ??= [];
      }
    }
  }
  return decoded;
}

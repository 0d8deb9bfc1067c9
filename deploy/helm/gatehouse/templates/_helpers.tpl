{{/*
Only Go text/template built-ins are used (no Sprig): the chart renders the same in Helm and in the
repository's test, which renders it with a WebAssembly build of Go's text/template
(test/deploy/helm.test.ts). Labels are therefore written out where they are used.
*/}}
{{- define "gatehouse.secretMount" }}/run/secrets/gatehouse{{ end -}}

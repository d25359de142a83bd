{{/* Labels on every object: the same two kustomize's config/default adds, plus Helm's own. */}}
{{- define "sriovlm.labels" -}}
app.kubernetes.io/name: sriovlm
app.kubernetes.io/part-of: sriovlm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Pod selectors: name and component only, as in config/ (selectors are immutable). */}}
{{- define "sriovlm.selector" -}}
app.kubernetes.io/name: sriovlm
app.kubernetes.io/component: {{ . }}
{{- end -}}

{{- define "sriovlm.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

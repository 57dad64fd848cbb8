{{/* Chart name, truncated to a DNS label. */}}
{{- define "kserve-doctor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, with the chart's name unless the release name contains it. */}}
{{- define "kserve-doctor.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kserve-doctor.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kserve-doctor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kserve-doctor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kserve-doctor.labels" -}}
helm.sh/chart: {{ include "kserve-doctor.chart" . }}
{{ include "kserve-doctor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kserve-doctor
{{- end }}

{{- define "kserve-doctor.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kserve-doctor.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kserve-doctor.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The remediation ids (KSERVE_DOCTOR_REMEDIATORS) of the remediators enabled in values, comma-separated,
in the order of this map's keys (sorted).
*/}}
{{- define "kserve-doctor.remediatorIds" -}}
{{- $ids := dict "raiseMemoryLimit" "raise-memory-limit" "restartPods" "restart-pods" "skipTagResolution" "skip-tag-resolution" }}
{{- $enabled := list }}
{{- range $key, $r := .Values.remediators }}
{{- if not (hasKey $ids $key) }}
{{- fail (printf "remediators.%s is not a remediator of this chart (known: %s)" $key (keys $ids | sortAlpha | join ", ")) }}
{{- end }}
{{- if $r.enabled }}
{{- $enabled = append $enabled (get $ids $key) }}
{{- end }}
{{- end }}
{{- join "," $enabled }}
{{- end }}

{{/* Whether any remediator that patches InferenceServices is enabled: "true" or "". */}}
{{- define "kserve-doctor.patchesInferenceServices" -}}
{{- if or .Values.remediators.raiseMemoryLimit.enabled .Values.remediators.restartPods.enabled }}true{{- end }}
{{- end }}

{{/* Labels every object of the chart carries. */}}
{{- define "kubeboard.labels" -}}
app.kubernetes.io/part-of: kubeboard
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one component: kubeboard.selector (list . "web"). */}}
{{- define "kubeboard.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: kubeboard-{{ index . 1 }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
{{- end -}}

{{/* Full labels of one component's objects and pods. */}}
{{- define "kubeboard.componentLabels" -}}
{{ include "kubeboard.labels" (index . 0) }}
app.kubernetes.io/name: kubeboard-{{ index . 1 }}
app.kubernetes.io/component: {{ index . 1 }}
app.kubernetes.io/version: {{ (index . 0).Chart.AppVersion | quote }}
{{- end -}}

{{/* Kubeboard's own objects live in the common namespace, whatever namespace the release uses. */}}
{{- define "kubeboard.namespace" -}}common{{- end -}}

{{/* An image reference pinned by tag, or by digest when one is given. */}}
{{- define "kubeboard.image" -}}
{{- if .digest -}}
{{ .repository }}@{{ .digest }}
{{- else -}}
{{ .repository }}:{{ .tag }}
{{- end -}}
{{- end -}}

{{/* checkov skip for digest pinning, emitted only while an image is pinned by tag alone. */}}
{{- define "kubeboard.digestSkip" -}}
{{- if not .digest -}}
CKV_K8S_43=Pinned to an exact release tag of a well-kept public image; set image.digest to pin by digest
{{- end -}}
{{- end -}}

{{/* The restricted container security context every container of the chart runs with. */}}
{{- define "kubeboard.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsGroup }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Pod-level security context shared by the chart's pods. */}}
{{- define "kubeboard.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsGroup }}
fsGroup: {{ .fsGroup }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Name of the shared snapshot volume claim. */}}
{{- define "kubeboard.snapshotClaim" -}}kubeboard-snapshots{{- end -}}

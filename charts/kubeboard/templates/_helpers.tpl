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

{{/* The web tier's pod template, the same for its Deployment and its Rollout. */}}
{{- define "kubeboard.webPodTemplate" -}}
{{- $w := .Values.web }}
{{- $ids := .Values.podSecurityContext }}
metadata:
  labels:
    {{- include "kubeboard.componentLabels" (list . "web") | nindent 4 }}
  annotations:
    # Roll the pods when the nginx configuration or the page changes.
    checksum/config: {{ include (print $.Template.BasePath "/web-configmap.yaml") . | sha256sum }}
spec:
  serviceAccountName: kubeboard-web
  automountServiceAccountToken: false
  securityContext:
    {{- include "kubeboard.podSecurityContext" $ids | nindent 4 }}
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: topology.kubernetes.io/zone
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "kubeboard.selector" (list . "web") | nindent 10 }}
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "kubeboard.selector" (list . "web") | nindent 10 }}
  containers:
    - name: nginx
      image: {{ include "kubeboard.image" $w.image }}
      imagePullPolicy: {{ $w.image.pullPolicy }}
      # Skip the image's entrypoint scripts: they rewrite files under /etc, which is read-only.
      command: ["nginx", "-c", "/etc/nginx/kubeboard/nginx.conf"]
      ports:
        - name: http
          containerPort: 8080
          protocol: TCP
      readinessProbe:
        httpGet:
          path: /healthz
          port: http
        periodSeconds: 5
        failureThreshold: 3
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        initialDelaySeconds: 5
        periodSeconds: 10
        failureThreshold: 3
      resources:
        {{- toYaml $w.resources | nindent 8 }}
      securityContext:
        {{- include "kubeboard.containerSecurityContext" $ids | nindent 8 }}
      volumeMounts:
        - name: nginx-config
          mountPath: /etc/nginx/kubeboard
          readOnly: true
        - name: site
          mountPath: /usr/share/kubeboard/site
          readOnly: true
        - name: snapshots
          mountPath: /data
          readOnly: true
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: nginx-config
      configMap:
        name: kubeboard-web-nginx
    - name: site
      configMap:
        name: kubeboard-web-site
    - name: snapshots
      persistentVolumeClaim:
        claimName: {{ include "kubeboard.snapshotClaim" . }}
        readOnly: true
    - name: tmp
      emptyDir:
        sizeLimit: 32Mi
{{- end -}}

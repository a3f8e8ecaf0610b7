{{/* Named templates of the chart, each named after it (litellm-gateway.<name>): a parent chart that
includes this one as a subchart keeps its own `<chart>.*` templates apart from these. */}}
{{- define "litellm-gateway.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "litellm-gateway.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "litellm-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "litellm-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of pods that are not gateway pods (migrations, helm test): a name of their own, so the
Service, the PodDisruptionBudget and the NetworkPolicy (which select litellm-gateway.selectorLabels) never pick them.
Call with (dict "ctx" $ "component" "migrations"). */}}
{{- define "litellm-gateway.auxLabels" -}}
app.kubernetes.io/name: {{ include "litellm-gateway.name" .ctx }}-{{ .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: litellm-gateway
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version }}
gateway.litellm/environment: {{ .ctx.Values.environment }}
{{- end -}}

{{- define "litellm-gateway.labels" -}}
{{ include "litellm-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ include "litellm-gateway.tag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: litellm-gateway
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
gateway.litellm/environment: {{ .Values.environment }}
{{- end -}}

{{- define "litellm-gateway.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "litellm-gateway.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "litellm-gateway.tag" .) -}}
{{- if .Values.image.digest -}}{{- $ref = printf "%s@%s" $ref .Values.image.digest -}}{{- end -}}
{{- $ref -}}
{{- end -}}

{{- define "litellm-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default (include "litellm-gateway.fullname" .) .Values.serviceAccount.name }}{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}

{{- define "litellm-gateway.healthPort" -}}
{{- if .Values.proxy.separateHealthApp.enabled -}}health{{- else -}}http{{- end -}}
{{- end -}}

{{/* env vars from existing Secrets, by reference only */}}
{{- define "litellm-gateway.secretEnv" -}}
{{- range .Values.secretEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
{{- end -}}

{{/* NetworkPolicy egress rule: cluster DNS */}}
{{- define "litellm-gateway.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end -}}

{{/* The `to:` of an egress rule: its peers when set, else its CIDRs, else nothing (any address).
     Call with (dict "peers" list "cidrs" list). */}}
{{- define "litellm-gateway.egressTo" -}}
{{- if .peers -}}
to:
  {{- toYaml .peers | nindent 2 }}
{{- else if .cidrs -}}
to:
  {{- range .cidrs }}
  - ipBlock:
      cidr: {{ . }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/* The ConfigMap key of a file of the team's code (teamCode): its path with "/" as ".". */}}
{{- define "litellm-gateway.codeKey" -}}
{{- replace "/" "." . -}}
{{- end -}}

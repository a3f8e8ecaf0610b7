{{- define "gw.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gw.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "gw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of pods that are not gateway pods (migrations, helm test): a name of their own, so the
Service, the PodDisruptionBudget and the NetworkPolicy (which select gw.selectorLabels) never pick them.
Call with (dict "ctx" $ "component" "migrations"). */}}
{{- define "gw.auxLabels" -}}
app.kubernetes.io/name: {{ include "gw.name" .ctx }}-{{ .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: litellm-gateway
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version }}
gateway.litellm/environment: {{ .ctx.Values.environment }}
{{- end -}}

{{- define "gw.labels" -}}
{{ include "gw.selectorLabels" . }}
app.kubernetes.io/version: {{ include "gw.tag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: litellm-gateway
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
gateway.litellm/environment: {{ .Values.environment }}
{{- end -}}

{{- define "gw.tag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "gw.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "gw.tag" .) -}}
{{- if .Values.image.digest -}}{{- $ref = printf "%s@%s" $ref .Values.image.digest -}}{{- end -}}
{{- $ref -}}
{{- end -}}

{{- define "gw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default (include "gw.fullname" .) .Values.serviceAccount.name }}{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}

{{- define "gw.healthPort" -}}
{{- if .Values.proxy.separateHealthApp.enabled -}}health{{- else -}}http{{- end -}}
{{- end -}}

{{/* env vars from existing Secrets, by reference only */}}
{{- define "gw.secretEnv" -}}
{{- range .Values.secretEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
{{- end -}}

{{/* NetworkPolicy egress rule: cluster DNS */}}
{{- define "gw.dnsEgress" -}}
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

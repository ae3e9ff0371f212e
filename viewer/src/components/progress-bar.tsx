export function ProgressBar(props: { value: number; label?: string; testId?: string }) {
  const percent = Math.round(Math.max(0, Math.min(1, props.value)) * 100);
  return (
    <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} aria-label={props.label} data-testid={props.testId}>
      <div class="progress-fill" style={{ width: `${percent}%` }} />
    </div>
  );
}

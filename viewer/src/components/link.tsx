import type { ComponentChildren } from 'preact';

import { onLinkClick } from '../router.js';

export function Link(props: { href: string; children: ComponentChildren; class?: string; testId?: string }) {
  return (
    <a href={props.href} class={props.class} data-testid={props.testId} onClick={(event) => onLinkClick(event, props.href)}>
      {props.children}
    </a>
  );
}

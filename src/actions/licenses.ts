import { currentStandard } from '../standard/index.ts';

export interface License {
  id: string;
  title: string;
  url: string;
  od_conformance: 'approved' | 'not reviewed';
  osd_conformance: 'not reviewed';
  status: 'active';
  maintainer: string;
  family: string;
}

/** Where the standard's licence names point; the stored id is the full name, as thai_gdc stores it. */
const LICENSE_URLS: Record<string, { url: string; open: boolean }> = {
  'Open Data Common': { url: 'https://data.go.th/pages/open-government-license', open: true },
  'Creative Commons Attributions': { url: 'https://creativecommons.org/licenses/by/4.0/', open: true },
  'Creative Commons Attribution Non-Commercial': { url: 'https://creativecommons.org/licenses/by-nc/4.0/', open: false },
  'Creative Commons Attribution Share-Alike': { url: 'https://creativecommons.org/licenses/by-sa/4.0/', open: true },
  'Creative Commons Attribution Non-Commercial Share-Alike': { url: 'https://creativecommons.org/licenses/by-nc-sa/4.0/', open: false },
  'Creative Commons Attribution Non-Commercial No-Derivs': { url: 'https://creativecommons.org/licenses/by-nc-nd/4.0/', open: false },
  'Creative Commons Attribution No-Derivs': { url: 'https://creativecommons.org/licenses/by-nd/4.0/', open: false },
};

export function licenses(): License[] {
  const list = currentStandard().file.code_lists.license ?? [];
  return list.map((l) => ({
    id: l.value,
    title: l.label.en === l.value ? l.value : l.label.th,
    url: LICENSE_URLS[l.value]?.url ?? '',
    od_conformance: LICENSE_URLS[l.value]?.open ? 'approved' : 'not reviewed',
    osd_conformance: 'not reviewed',
    status: 'active',
    maintainer: '',
    family: '',
  }));
}

export function licenseFor(id: string): License | undefined {
  return licenses().find((l) => l.id === id);
}

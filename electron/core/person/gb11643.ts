/** The core's name for the ID number rules, which live with the API so the screens check alike. */
export * from '../../api/gb11643';
